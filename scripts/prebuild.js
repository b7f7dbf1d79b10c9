#!/usr/bin/env node
// npm's prepack hook: puts the shim built here (build/Release/prefork.node) into the package as
// prebuilds/PLATFORM-ARCH/prefork.node, which scripts/install.js uses where it loads. On an x64 host with Debian's
// cross compiler (apt-get install gcc-aarch64-linux-gnu) it also cross-builds prebuilds/linux-arm64/prefork.node
// with node-gyp in a temporary copy of native/ and binding.gyp (build/ is not touched); without it, it says so.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** Cross targets: node-gyp's --arch → the GNU triple of Debian's cross toolchain (its gcc is TRIPLE-gcc). */
const CROSS = { arm64: 'aarch64-linux-gnu' };

/** Copies a built shim to prebuilds/linux-ARCH/prefork.node. */
function place(arch, built) {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${arch}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(built, path.join(dir, 'prefork.node'));
  console.log(`prefork prebuild: ${path.relative(root, path.join(dir, 'prefork.node'))}`);
}

function onPath(cmd) {
  return (process.env.PATH ?? '').split(path.delimiter).some(dir => {
    try {
      fs.accessSync(path.join(dir || '.', cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** node-gyp as [command, ...args]: npm's (npm run sets npm_config_node_gyp), the one in node_modules, npm's bundled one, or $PATH's. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] }));
  } catch {
    // not in node_modules
  }
  candidates.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const js = candidates.find(f => f && fs.existsSync(f));
  return js ? [process.execPath, js] : ['node-gyp'];
}

/** Cross-builds the shim for `arch` in a temporary directory; its path (to copy before `cleanup`), or undefined. */
function crossBuild(arch, triple, tmp) {
  fs.cpSync(path.join(root, 'native'), path.join(tmp, 'native'), { recursive: true });
  fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(tmp, 'binding.gyp'));
  const args = ['rebuild', `--arch=${arch}`];
  // The running Node's own headers when it has them (as a distribution's or the official tarball's layout does);
  // else node-gyp's usual: npm_config_nodedir, or the headers it downloads (into ~/.cache/node-gyp) for this version.
  const prefix = path.join(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${path.resolve(prefix)}`);
  const [cmd, ...pre] = nodeGyp();
  // The shim is C only: it is compiled and linked with the cross gcc (CXX is set so nothing falls back to the host's).
  const env = { ...process.env, CC: `${triple}-gcc`, CXX: `${triple}-g++`, LINK: `${triple}-gcc`, AR: `${triple}-ar` };
  const r = spawnSync(cmd, [...pre, ...args], { cwd: tmp, env, encoding: 'utf8' });
  const built = path.join(tmp, 'build', 'Release', 'prefork.node');
  if (r.status !== 0 || !fs.existsSync(built)) {
    console.error(`prefork prebuild: the linux-${arch} cross build failed (node-gyp exit ${r.status}):\n${(r.stderr || r.error?.message || '').slice(-2000)}`);
    return undefined;
  }
  return built;
}

const built = path.join(root, 'build', 'Release', 'prefork.node');
if (!fs.existsSync(built)) {
  console.error('prefork prebuild: build/Release/prefork.node is missing; run `npm install` (node-gyp) first');
  process.exit(1);
}
place(process.arch, built);

let failed = false;
for (const [arch, triple] of Object.entries(CROSS)) {
  if (arch === process.arch || process.arch !== 'x64' || process.platform !== 'linux') continue;
  if (!onPath(`${triple}-gcc`)) {
    // and none left from an earlier run, built from older sources
    fs.rmSync(path.join(root, 'prebuilds', `${process.platform}-${arch}`), { recursive: true, force: true });
    console.log(`prefork prebuild: no linux-${arch} prebuild (no ${triple}-gcc here: apt-get install gcc-${triple})`);
    continue;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `prefork-prebuild-${arch}-`));
  try {
    const file = crossBuild(arch, triple, tmp);
    if (file) place(arch, file);
    else failed = true;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
process.exit(failed ? 1 : 0);
