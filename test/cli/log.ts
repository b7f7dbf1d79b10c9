// The supervisor's log through the real CLI: --log-format json (one object per line, stable fields), --log-file
// (nothing on stderr; SIGUSR1 reopens it after a logrotate-style move), and `<N>` priority prefixes when
// JOURNAL_STREAM names stderr.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { APPS, BIN, cleanEnv, ROOT, startPrefork, until } from '../helpers/prefork';

const tempDir = (t: { teardown(fn: () => void): void }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-log-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('--log-format json: every supervisor line is an object with time, level, name, pid and message', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--log-format', 'json', '--name', 'jsonlog']);
  const lines = p.output().split('\n').filter(l => l.startsWith('{'));
  t.ok(lines.length >= 5, `${lines.length} lines`);
  t.notOk(p.output().includes('[prefork]'), 'no text lines');
  for (const line of lines) {
    const o = JSON.parse(line) as Record<string, unknown>;
    t.same(Object.keys(o), ['time', 'level', 'name', 'pid', 'message'], `fields of: ${String(o.message).slice(0, 60)}`);
    t.match(o, { time: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, level: /^(info|warn|error)$/, name: 'jsonlog', pid: p.pid });
  }
  t.ok(lines.some(l => /^generation 1 ready: 1 workers \(pids \d+\)$/.test(String((JSON.parse(l) as { message: string }).message))), 'the documented phrases are the messages');
});

t.test('--log-file: the log goes to the file; SIGUSR1 reopens it after it was moved', async t => {
  const dir = tempDir(t);
  const file = path.join(dir, 'prefork.log');
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--log-file', file], { ready: null });
  t.ok(await until(() => fs.existsSync(file) && /generation 1 ready/.test(fs.readFileSync(file, 'utf8')), 20_000), 'generation 1 ready is in the file');
  t.notMatch(p.output(), /\[prefork\]/, 'and nothing on stderr');
  fs.renameSync(file, `${file}.1`); // logrotate
  process.kill(p.pid, 'SIGUSR1');
  t.ok(await until(() => fs.existsSync(file) && /log file .* reopened/.test(fs.readFileSync(file, 'utf8')), 5000), 'a new file, which says it was reopened');
  process.kill(p.pid, 'SIGHUP');
  t.ok(await until(() => /generation 2 ready/.test(fs.readFileSync(file, 'utf8')), 20_000), 'later lines go to the new file');
  t.notMatch(fs.readFileSync(`${file}.1`, 'utf8'), /generation 2 ready/, 'not to the moved one');
});

t.test('JOURNAL_STREAM naming stderr: each line starts with its syslog priority', async t => {
  const dir = tempDir(t);
  const errFile = path.join(dir, 'stderr');
  const fd = fs.openSync(errFile, 'w');
  const st = fs.fstatSync(fd);
  const control = path.join(dir, 'control.sock');
  const proc = spawn(process.execPath, [BIN, 'start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--control', control], {
    cwd: ROOT, env: cleanEnv({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }), stdio: ['ignore', 'ignore', fd],
  });
  fs.closeSync(fd);
  t.teardown(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  const text = () => fs.readFileSync(errFile, 'utf8');
  t.ok(await until(() => /generation 1 ready/.test(text()), 20_000), 'started');
  process.kill(proc.pid ?? 0, 'SIGTTOU'); // one worker: "never below 1", a warning
  t.ok(await until(() => /<4>\[prefork\] \[warn\]/.test(text()), 5000), 'a warning is <4>');
  const mine = text().split('\n').filter(l => l.includes('[prefork]'));
  t.ok(mine.every(l => /^<[346]>\[prefork\] \[(info|warn|error)\] /.test(l)), `every line has its priority:\n${mine.slice(0, 3).join('\n')}`);
  t.ok(mine.some(l => l.startsWith('<6>[prefork] [info] generation 1 ready')), 'info is <6>');
  proc.kill('SIGTERM');
  await new Promise(resolve => proc.on('exit', resolve));
});
