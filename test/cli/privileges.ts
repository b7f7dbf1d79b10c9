// --user/--group, --umask and --chdir through the real CLI: started as root with --user nobody, the supervisor keeps
// uid 0 while its zygote and workers run as 65534 with no supplementary groups, and the datasets it loaded are still
// read by them; --user needs root and a real user; --umask shapes the files prefork makes; --chdir resolves the app
// and the datasets from there.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { EXIT } from '../../src/exit-codes';
import { writeFilledF64Npy } from '../helpers/build';
import { APPS, BIN, getJson, ROOT, runCli, startPrefork } from '../helpers/prefork';
import { which } from '../helpers/tools';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const rootOnly = asRoot ? {} : { skip: 'needs root to start workers as another user (CI runs as root)' };

/** The Uid:, Gid: and Groups: lines of /proc/PID/status. */
function ids(pid: number): { uid: string; gid: string; groups: string } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => (new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)?.[1] ?? '').trim().split(/\s+/).join(' ');
  return { uid: field('Uid'), gid: field('Gid'), groups: field('Groups') };
}

const dataDir = (t: { teardown(fn: () => void): void }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-priv-'));
  fs.chmodSync(dir, 0o755);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('--user nobody: workers and zygote run as 65534 without supplementary groups; the supervisor keeps uid 0; datasets are read', rootOnly, async t => {
  const dir = dataDir(t);
  const data = path.join(dir, 'd.npy');
  writeFilledF64Npy(data, 7, 1000);
  fs.chmodSync(data, 0o600); // only root may read the file: the supervisor loads it, the workers get the memfd
  const p = await startPrefork(t, ['start', path.join(APPS, 'gen.js'), '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '2', '--user', 'nobody']);
  t.match(p.output(), /zygotes and workers run as nobody \(uid 65534, gid 65534\); the supervisor keeps uid 0/, 'the log says who runs what');
  t.same(ids(p.pid).uid, '0 0 0 0', 'the supervisor keeps uid 0');
  const workers = [...p.output().matchAll(/worker 1\.\d started \(pid (\d+)\)/g)].map(m => Number(m[1]));
  const zygote = /zygote started \(pid (\d+)\)/.exec(p.output())?.[1];
  for (const pid of [...workers, ...(zygote ? [Number(zygote)] : [])]) {
    t.same(ids(pid), { uid: `${NOBODY} ${NOBODY} ${NOBODY} ${NOBODY}`, gid: `${NOBODY} ${NOBODY} ${NOBODY} ${NOBODY}`, groups: '' }, `pid ${pid}: real, effective, saved and fs uid and gid 65534, no groups`);
  }
  const r = await getJson<{ pid: number; value: number }>(p.port);
  t.equal(r.value, 7, 'a worker reads the dataset a file it could not open holds');
  t.ok(workers.includes(r.pid), 'served by one of them');
  const reloaded = await runCli(['reload', '--control', p.control]);
  t.equal(reloaded.code, 0, `a reload works the same (${reloaded.stdout.trim()})`);
});

t.test('--user needs root and a user that exists', async t => {
  const unknown = await runCli(['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--user', 'no-such-user-here']);
  t.equal(unknown.code, EXIT.USAGE.code, 'an unknown user: exit 64');
  t.match(unknown.stderr, asRoot ? /--user no-such-user-here: no such user in \/etc\/passwd \(give a user name or a numeric uid\) \[PREFORK_BAD_OPTION\]/ : /need the supervisor to run as root/);
  if (!asRoot || !which('setpriv')) return;
  const asNobody = await new Promise<{ code: number | null; stderr: string }>(resolve => {
    const c = spawn('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, BIN, 'start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--user', 'nobody', '--control', path.join(os.tmpdir(), `prefork-nobody-${process.pid}.sock`)], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', d => (stderr += d));
    c.on('close', code => resolve({ code, stderr }));
  });
  t.equal(asNobody.code, EXIT.USAGE.code, 'started by a user who is not root: exit 64');
  t.match(asNobody.stderr, /--user and --group need the supervisor to run as root \(it runs as uid 65534\)/);
});

t.test('--umask shapes the files prefork makes; --chdir resolves the app and datasets from there', async t => {
  const dir = dataDir(t);
  const pidfile = path.join(dir, 'prefork.pid');
  writeFilledF64Npy(path.join(dir, 'd.npy'), 3, 100);
  fs.copyFileSync(path.join(APPS, 'gen.js'), path.join(dir, 'gen.js'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'prefork'), 'dir'); // the app's require('prefork')
  const p = await startPrefork(t, ['start', 'gen.js', '--share', 'd=d.npy', '--chdir', dir, '--umask', '027', '--pidfile', pidfile, '--bind', '127.0.0.1:0', '--workers', '1']);
  t.equal(fs.statSync(pidfile).mode & 0o777, 0o640, '--umask 027: the pidfile is 0640');
  t.equal((await getJson<{ value: number }>(p.port)).value, 3, '--chdir: gen.js and d.npy are found there');
  const missing = await runCli(['start', 'gen.js', '--chdir', path.join(dir, 'nope'), '--bind', '127.0.0.1:0']);
  t.equal(missing.code, EXIT.USAGE.code, 'a --chdir that does not exist: exit 64');
  t.match(missing.stderr, /--chdir .*nope: cannot change to it \(ENOENT\)/);
  const badMask = await runCli(['start', 'gen.js', '--umask', '999', '--bind', '127.0.0.1:0']);
  t.match(badMask.stderr, /--umask must be an octal mode such as 027 or 0077, got '999'/);
});
