// Dataset load progress through the real CLI, for a load longer than a second (1.5 GiB of big-endian f64, which is
// byte-swapped as it is copied): log lines with bytes, rate and time left when stderr is not a terminal, and a bar
// redrawn in place on one (script(1) gives prefork a pseudo-terminal).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { APPS, BIN, cleanEnv, endTreeInTeardown, ROOT, startPrefork } from '../helpers/prefork';
import { notifySocket } from '../helpers/notify';
import { haveTools, which } from '../helpers/tools';

const GIB = 2 ** 30;

/** A .npy of `bytes` zero bytes of big-endian f64 (`>f8`), written in 64 MiB pieces. */
function bigEndianNpy(file: string, bytes: number): void {
  let header = `{'descr': '>f8', 'fortran_order': False, 'shape': (${bytes / 8},), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre[0] = 0x93;
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, pre);
  fs.writeSync(fd, header, null, 'latin1');
  const zeros = Buffer.alloc(64 << 20);
  for (let left = bytes; left > 0; left -= zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, left));
  fs.closeSync(fd);
}

t.test('a load longer than a second: progress lines when stderr is not a terminal, a bar on one; EXTEND_TIMEOUT_USEC meanwhile', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-progress-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const data = path.join(dir, 'big.npy');
  bigEndianNpy(data, 1.5 * GIB);

  // under CI every part runs (python3 stands in for systemd's socket); elsewhere what the machine has
  const sock = which('python3') || process.env.CI === 'true' ? await notifySocket(t) : undefined;
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--share', data, '--bind', '127.0.0.1:0', '--workers', '1'], {
    timeoutMs: 60_000,
    env: sock ? { NOTIFY_SOCKET: sock.path } : {},
  });
  const loaded = /dataset 'big' loaded from .*: 1 array\(s\), 1610\.6 MB in (\d+) ms/.exec(p.output());
  t.ok(loaded && Number(loaded[1]) > 1000, `the load took over a second (${loaded?.[1]} ms)`);
  const line = /generation 1: loading datasets: ([\d.]+) [MG]B of 1\.6 GB \((\d+)%\), ([\d.]+) [MG]B\/s, about ([\d.]+) s left/.exec(p.output());
  t.ok(line, `a progress line: ${line?.[0]}`);
  t.notMatch(p.output(), /\x1b\[K/, 'no terminal escapes into a pipe');
  if (sock) {
    const extend = sock.messages.filter(m => m.fields.EXTEND_TIMEOUT_USEC !== undefined);
    t.ok(extend.length >= 1, `systemd was asked ${extend.length} time(s) to extend the start timeout while it loaded`);
    t.match(extend[0]?.fields, { EXTEND_TIMEOUT_USEC: '10000000', STATUS: /^generation 1: loading datasets, [\d.]+ [kMG]B of 1\.6 GB \(\d+%\)/ }, `with the progress in STATUS: ${extend[0]?.fields.STATUS}`);
    const ready = await sock.waitFor(m => m.fields.READY === '1', 5000);
    t.ok(sock.messages.indexOf(ready) > sock.messages.indexOf(extend[0] as never), 'before READY=1');
  }
  process.kill(p.pid, 'SIGTERM');
  await p.exited;

  if (!which('script') && process.env.CI !== 'true') return t.comment('the terminal half needs script(1), not installed here: apt-get install bsdutils');
  if (!haveTools(t, 'script')) return;
  const control = path.join(dir, 'tty.sock');
  const command = [process.execPath, BIN, 'start', path.join(APPS, 'probe.js'), '--share', data, '--bind', '127.0.0.1:0', '--workers', '1', '--control', control].map(a => `'${a}'`).join(' ');
  const proc = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  endTreeInTeardown(t, () => proc.pid ?? 0);
  let out = '';
  proc.stdout.on('data', d => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'generation 1 ready' within 60 s:\n${out}`)), 60_000);
    proc.stdout.on('data', () => {
      if (/generation 1 ready/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const frames = out.split('\r\x1b[K').filter(f => f.startsWith('[prefork] generation 1: loading ['));
  t.ok(frames.length >= 2, `the bar was redrawn ${frames.length} times`);
  t.match(frames[0] ?? '', /^\[prefork\] generation 1: loading \[[#.]{24}\] [\d.]+ [MG]B of 1\.6 GB \(\d+%\), [\d.]+ [MG]B\/s(, about [\d.]+ s left)?/, `a frame: ${JSON.stringify(frames[0]?.slice(0, 120))}`);
  t.notMatch(out, /loading datasets: /, 'and no progress log lines on a terminal');
});
