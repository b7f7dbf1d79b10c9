// System tools that some tests use as real peers (mandoc lints the man page, wrk loads the server during reloads,
// a cross compiler and qemu-user build and run the linux-arm64 prebuild).
// A test that needs one asks first: where the tool is missing it is skipped with the one-line install command,
// except under CI (CI=true, as .ci/run is run), where a missing tool is a failure: CI must run everything.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The Debian package that ships each tool. */
const PACKAGE: Record<string, string> = {
  unshare: 'util-linux', mandoc: 'mandoc', wrk: 'wrk', script: 'bsdutils', setpriv: 'util-linux', python3: 'python3', 'systemd-socket-activate': 'systemd', 'systemd-analyze': 'systemd',
  // the linux-arm64 prebuild: Debian's cross compiler builds it (g++'s package also brings the arm64 libstdc++ that the
  // arm64 node needs), qemu-user runs it (test/packaging.ts)
  'aarch64-linux-gnu-g++': 'g++-aarch64-linux-gnu', 'qemu-aarch64-static': 'qemu-user-static',
};

const underCi = () => process.env.CI === 'true';

/** The path of `tool` on $PATH, or undefined. */
export function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir || '.', tool);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const missing = (tools: string[]) => tools.filter(tool => which(tool) === undefined);

/** Why `tools` cannot be used, with the command that installs them. */
function reason(absent: string[]): string {
  return `needs ${absent.join(' and ')}, not installed here: apt-get install ${absent.map(t => PACKAGE[t] ?? t).join(' ')}`;
}

/** Test options: skip (with the install command) when a tool is missing, unless under CI. */
export function needs(...tools: string[]): { skip?: string } {
  const absent = missing(tools);
  return absent.length === 0 || underCi() ? {} : { skip: reason(absent) };
}

/** Inside the test: false, after a failure that says what to install, when a tool is missing (only reached under CI). */
export function haveTools(t: { fail(message: string): void }, ...tools: string[]): boolean {
  const absent = missing(tools);
  if (absent.length === 0) return true;
  t.fail(`CI=true and this test ${reason(absent)} (.ci/run installs it)`);
  return false;
}
