// The control socket is safe by default (src/supervisor/control-path.ts, control.ts), through the real CLI: two
// supervisors with default options each get their own socket in a 0700 directory; a client of another uid is
// refused by the server (SO_PEERCRED); a directory or socket of another user is refused at start; a request that
// never ends is cut off; a pidfile of a live prefork is not taken over; ps shows who is who.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { EXIT } from '../../src/exit-codes';
import { APPS, BIN, isAlive, MODE, runCli, startPrefork, until } from '../helpers/prefork';
import { which } from '../helpers/tools';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const rootOnly = asRoot ? {} : { skip: 'needs root to act as another uid (CI runs as root)' };

/** A fresh XDG_RUNTIME_DIR (0700, ours), removed in teardown. */
function runtimeDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-xdg-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const cmdline = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');

t.test('two supervisors with default options and different apps each get their own socket; ps names them', async t => {
  const xdg = runtimeDir(t);
  const env = { XDG_RUNTIME_DIR: xdg };
  const a = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1'], { env, defaultControl: true });
  const b = await startPrefork(t, ['start', path.join(APPS, 'hog.js'), '--bind', '127.0.0.1:0', '--workers', '1'], { env, defaultControl: true });
  const dir = path.join(xdg, 'prefork');
  t.same(fs.readdirSync(dir).sort(), ['hog.sock', 'probe.sock'], 'NAME.sock for each, named after the app');
  t.equal(fs.statSync(dir).mode & 0o777, 0o700, 'in a directory created 0700');
  t.equal(fs.statSync(path.join(dir, 'probe.sock')).mode & 0o777, 0o600, 'sockets 0600');
  const status = (args: string[]) => runCli(['status', '--json', ...args], { env: { ...process.env, NODE_OPTIONS: '', ...env } });
  t.equal(JSON.parse((await status(['--name', 'probe'])).stdout).pid, a.pid, 'status --name probe reaches the first');
  t.equal(JSON.parse((await status(['--name', 'hog'])).stdout).pid, b.pid, 'status --name hog reaches the second');
  const both = await status([]);
  t.equal(both.code, EXIT.USAGE.code, 'without --name, two supervisors are ambiguous: exit 64');
  t.match(both.stderr, /2 supervisors have control sockets in .* \(hog, probe\); say which with --name/);
  t.equal(cmdline(a.pid), 'prefork: supervisor [probe]', 'ps shows the supervisor');
  const zygote = Number(/zygote started \(pid (\d+)\)/.exec(a.output())?.[1]);
  const worker = Number(/worker 1\.1 started \(pid (\d+)\)/.exec(a.output())?.[1]);
  if (MODE === 'fork') t.equal(cmdline(zygote), 'prefork: zygote 1 [probe]', 'the zygote');
  t.equal(cmdline(worker), 'prefork: worker 1.1 [probe]', 'and the worker');
  t.equal((await runCli(['stop', '--name', 'hog'], { env: { ...process.env, NODE_OPTIONS: '', ...env } })).code, 0);
  await b.exited;
  t.same(fs.readdirSync(dir), ['probe.sock'], "the stopped one's socket is gone");
  const one = await status([]);
  t.equal(JSON.parse(one.stdout).pid, a.pid, 'with one supervisor left, no --name is needed');
});

t.test('a client running as another uid is refused by the server (SO_PEERCRED), and logged', { ...rootOnly, ...(which('setpriv') ? {} : { skip: 'needs setpriv (util-linux)' }) }, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  // open the way in the file system, so only the server's own check stands between nobody and the supervisor
  fs.chmodSync(path.dirname(p.control), 0o755);
  fs.chmodSync(p.control, 0o666);
  const nobody = await new Promise<{ code: number | null; stderr: string }>(resolve => {
    const c = spawn('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, BIN, 'status', '--control', p.control, '--timeout', '10'], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', d => (stderr += d));
    c.on('close', code => resolve({ code, stderr }));
  });
  t.equal(nobody.code, EXIT.NOPERM.code, `uid ${NOBODY} is refused: exit 77 (${nobody.stderr.trim()})`);
  t.match(nobody.stderr, `prefork status: failed: refused a client with uid ${NOBODY}`);
  t.notMatch(nobody.stderr, /serving generation/, 'and learns nothing of the supervisor');
  await p.waitFor(new RegExp(`control socket: refused a client with uid ${NOBODY} \\(pid \\d+\\): only uid 0 and root may control this supervisor`), 5000);
  t.pass('the supervisor logged the refusal');
  t.equal((await runCli(['status', '--control', p.control])).code, 0, 'its own uid is still served');
});

t.test("another user's directory or socket is refused at start, exit 77", rootOnly, async t => {
  const xdg = runtimeDir(t);
  fs.mkdirSync(path.join(xdg, 'prefork'), { mode: 0o700 });
  fs.chownSync(path.join(xdg, 'prefork'), NOBODY, NOBODY);
  const r = await runCli(['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0'], { env: { PATH: process.env.PATH ?? '', XDG_RUNTIME_DIR: xdg } });
  t.equal(r.code, EXIT.NOPERM.code, 'exit 77');
  t.match(r.stderr, `control directory ${xdg}/prefork is owned by uid ${NOBODY}, expected uid 0 (this user)`);
  fs.chownSync(path.join(xdg, 'prefork'), 0, 0);
  fs.chmodSync(path.join(xdg, 'prefork'), 0o777);
  const open = await runCli(['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0'], { env: { PATH: process.env.PATH ?? '', XDG_RUNTIME_DIR: xdg } });
  t.equal(open.code, EXIT.NOPERM.code, 'a directory others may write to: exit 77');
  t.match(open.stderr, /has mode 777: others may write to it; expected 0700/);
  // a socket of another user at an explicit --control path
  const sock = path.join(runtimeDir(t), 'theirs.sock');
  const server = net.createServer().listen(sock);
  await new Promise(resolve => server.once('listening', resolve));
  t.teardown(() => server.close());
  fs.chownSync(sock, NOBODY, NOBODY);
  const theirs = await runCli(['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--control', sock]);
  t.equal(theirs.code, EXIT.NOPERM.code, "another user's socket: exit 77");
  t.match(theirs.stderr, `control socket ${sock} is owned by uid ${NOBODY}, expected uid 0; refusing to listen there`);
  const client = await runCli(['status', '--control', sock]);
  t.equal(client.code, EXIT.NOPERM.code, 'and the client will not trust it either');
  t.match(client.stderr, `control socket ${sock} is owned by uid ${NOBODY}, expected uid 0 or root; refusing to talk there`);
});

t.test('a client that sends 1 GB without a newline is cut off; the supervisor stays flat', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  const rss = () => Number(/^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1]) * 1024;
  const before = rss();
  const chunk = Buffer.alloc(1 << 20, 'x');
  let sent = 0;
  await new Promise<void>(resolve => {
    const s = net.connect(p.control);
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    const pump = () => {
      while (sent < 1 << 30 && !s.destroyed) {
        sent += chunk.length;
        if (!s.write(chunk)) return s.once('drain', pump);
      }
      s.end();
    };
    s.on('connect', pump);
  });
  t.ok(sent < 1 << 30, `cut off after ${(sent / (1 << 20)).toFixed(0)} MiB of the 1 GiB`);
  await p.waitFor(/control socket: cut off a client that sent \d+ bytes without a newline/, 5000);
  t.ok(rss() - before < 16 << 20, `supervisor RSS ${(before / 2 ** 20).toFixed(1)} → ${(rss() / 2 ** 20).toFixed(1)} MiB`);
  t.equal((await runCli(['status', '--control', p.control])).code, 0, 'and still answers');
});

t.test('--pidfile naming a live prefork is refused; a stale one is taken over', async t => {
  const dir = runtimeDir(t);
  const pidfile = path.join(dir, 'prefork.pid');
  const a = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--pidfile', pidfile]);
  t.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(a.pid));
  const b = await runCli(['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--pidfile', pidfile, '--control', path.join(dir, 'b.sock')]);
  t.equal(b.code, EXIT.USAGE.code, 'exit 64');
  t.match(b.stderr, `--pidfile ${pidfile}: pid ${a.pid}, a running prefork, holds it`);
  t.ok(isAlive(a.pid), 'the first one keeps running');
  process.kill(a.pid, 'SIGTERM');
  await a.exited;
  t.notOk(fs.existsSync(pidfile), 'removed on exit');
  fs.writeFileSync(pidfile, '4194000\n');
  const c = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--pidfile', pidfile]);
  t.ok(await until(() => fs.readFileSync(pidfile, 'utf8').trim() === String(c.pid), 2000), 'a stale pidfile is rewritten');
});

t.test('hostile requests from an allowed client get an error, not a crash', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  const ask = (line: string) =>
    new Promise<string>(resolve => {
      const s = net.connect(p.control);
      let out = '';
      s.setEncoding('utf8');
      s.on('data', d => (out += d));
      s.on('close', () => resolve(out));
      s.on('error', () => resolve(out));
      s.on('connect', () => s.write(`${line}\n`));
    });
  for (const line of ['null', '42', '"status"', '{}', '{"cmd":7}', '{"cmd":"scale","to":{"toString":0}}', '{"cmd":"scale"}', 'not json', '{"cmd":"nope"}']) {
    const reply = JSON.parse(await ask(line)) as { ok: boolean; error?: string };
    t.equal(reply.ok, false, `${line}: refused (${reply.error})`);
  }
  t.ok(isAlive(p.pid), 'the supervisor is alive');
  t.equal((await runCli(['status', '--control', p.control])).code, 0, 'and answers');
});
