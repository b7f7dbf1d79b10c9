// sd_notify through the real CLI: a unix datagram socket stands in for systemd (test/helpers/notify.ts) and prefork
// runs with NOTIFY_SOCKET and WATCHDOG_USEC pointing at it. The exact sequence: MAINPID and a first WATCHDOG=1 before
// the first load, READY=1 once workers listen, RELOADING=1 + MONOTONIC_USEC then READY=1 on SIGHUP (also when the
// reload fails closed, STATUS carrying the error), WATCHDOG=1 every half period but none while every worker is hung,
// STOPPING=1 on SIGTERM; the workers never see NOTIFY_SOCKET.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { writeFilledF64Npy } from '../helpers/build';
import { monotonicNow, notifySocket, type Notification } from '../helpers/notify';
import { APPS, get, getJson, portOpen, startPrefork } from '../helpers/prefork';
import { haveTools, needs } from '../helpers/tools';

const is = (key: string, value = '1') => (m: Notification) => m.fields[key] === value;

t.test('READY after the workers listen, RELOADING then READY on SIGHUP (served and failed), STOPPING on SIGTERM', needs('python3'), async t => {
  if (!haveTools(t, 'python3')) return;
  const sock = await notifySocket(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-notify-data-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const data = path.join(dir, 'd.npy');
  writeFilledF64Npy(data, 1, 1000);
  const p = await startPrefork(t, ['start', path.join(APPS, 'gen.js'), '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '2'], {
    env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '2000000' },
    ready: /generation 1 ready/,
  });
  const ready = await sock.waitFor(is('READY'));
  const first = sock.messages[0];
  t.equal(first?.fields.MAINPID, String(p.pid), 'the first message names the main pid');
  t.equal(first?.fields.WATCHDOG, '1', 'and pings the watchdog before the first load');
  t.ok(sock.messages.indexOf(ready) > 0, 'READY=1 comes after it');
  t.ok(await portOpen(p.port), 'workers listen once READY=1 is sent');
  t.match(ready.fields, { MAINPID: String(p.pid), STATUS: /^generation 1: 2\/2 workers ready; datasets d [\d.]+ kB; no reload yet$/ }, `STATUS: ${ready.fields.STATUS}`);
  const workers = [...p.output().matchAll(/worker 1\.\d started \(pid (\d+)\)/g)].map(m => Number(m[1]));
  for (const w of workers) t.notMatch(fs.readFileSync(`/proc/${w}/environ`, 'utf8'), /NOTIFY_SOCKET=|WATCHDOG_USEC=/, `worker ${w} does not see NOTIFY_SOCKET or WATCHDOG_USEC`);

  // a reload that serves
  writeFilledF64Npy(data, 2, 1000);
  let from = sock.messages.length;
  const before = monotonicNow();
  process.kill(p.pid, 'SIGHUP');
  const reloading = await sock.waitFor(is('RELOADING'), 20_000, from);
  const usec = Number(reloading.fields.MONOTONIC_USEC);
  t.ok(usec / 1000 >= before - 1 && usec / 1000 <= monotonicNow() + 1, `MONOTONIC_USEC is CLOCK_MONOTONIC when the swap started (${usec})`);
  const swapped = await sock.waitFor(is('READY'), 20_000, sock.messages.indexOf(reloading));
  t.match(swapped.fields.STATUS, /^generation 2: 2\/2 workers ready; datasets d [\d.]+ kB; last reload ok$/, `then READY=1: ${swapped.fields.STATUS}`);
  t.equal((await getJson<{ value: number }>(p.port)).value, 2, 'generation 2 serves');

  // a reload that fails closed
  fs.writeFileSync(data, 'not a dataset');
  from = sock.messages.length;
  process.kill(p.pid, 'SIGHUP');
  const failing = await sock.waitFor(is('RELOADING'), 20_000, from);
  const failed = await sock.waitFor(is('READY'), 20_000, sock.messages.indexOf(failing));
  t.match(failed.fields.STATUS, /^generation 2: 2\/2 workers ready; datasets d [\d.]+ kB; last reload failed: .*d\.npy.*generation 2 keeps serving$/, `a failed reload still ends with READY=1, STATUS says why: ${failed.fields.STATUS}`);
  t.equal((await getJson<{ value: number }>(p.port)).value, 2, 'generation 2 still serves');

  from = sock.messages.length;
  process.kill(p.pid, 'SIGTERM');
  await sock.waitFor(is('STOPPING'), 20_000, from);
  t.equal((await p.exited).code, 0, 'STOPPING=1 on SIGTERM, then a clean exit');
});

t.test('WATCHDOG=1 every half WATCHDOG_USEC, none while every worker is hung, again once it is replaced', needs('python3'), async t => {
  if (!haveTools(t, 'python3')) return;
  const sock = await notifySocket(t);
  // --timeout 4: heartbeats every 400 ms, a worker 1.2 s without one is not healthy; it is killed at 4 s
  const p = await startPrefork(t, ['start', path.join(APPS, 'spin.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--timeout', '4'], {
    env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '600000' },
  });
  await sock.waitFor(is('READY'));
  const pingsFrom = sock.messages.length;
  await new Promise(resolve => setTimeout(resolve, 3000));
  const pings = sock.messages.slice(pingsFrom).filter(is('WATCHDOG')).map(m => m.t);
  const gaps = pings.slice(1).map((x, i) => x - (pings[i] ?? x));
  t.ok(pings.length >= 8 && pings.length <= 12, `${pings.length} pings in 3 s (every 300 ms)`);
  t.ok(gaps.every(g => g >= 250 && g <= 450), `300 ms apart, within a tick (${gaps.map(g => g.toFixed(0)).join(', ')} ms)`);

  const from = p.output().length;
  const hungAt = monotonicNow();
  void get(p.port, '/spin', { timeoutMs: 10_000 }).catch(() => undefined);
  await p.waitFor(/missed its heartbeat/, 10_000, from);
  const replaced = await p.waitFor(/worker 1\.\d \(pid \d+\) ready/, 10_000, from);
  t.pass(`the hung worker was replaced (${replaced[0]})`);
  // pings stop within 3 beats (1.2 s) of the last heartbeat and start again once the replacement serves
  const resumed = await sock.waitFor(m => is('WATCHDOG')(m) && m.t > hungAt + 1500, 5000);
  const pingTimes = sock.messages.filter(is('WATCHDOG')).map(m => m.t);
  const lastBefore = Math.max(...pingTimes.filter(x => x <= hungAt + 1500));
  const shown = pingTimes.map(x => (x - hungAt).toFixed(0)).join(' ');
  t.ok(lastBefore > hungAt, `pings went on until the heartbeat was 3 beats old (pings at ${shown} ms from the hang)`);
  t.ok(resumed.t - lastBefore > 2000, `then none for ${(resumed.t - lastBefore).toFixed(0)} ms, while the only worker was hung (systemd would restart the service after 600 ms)`);
  t.ok(resumed.t - hungAt < 6000, `and again once the replacement serves (${(resumed.t - hungAt).toFixed(0)} ms after the hang)`);
});

t.test('a supervisor that halts says why in STATUS= and ERRNO=', needs('python3'), async t => {
  if (!haveTools(t, 'python3')) return;
  const sock = await notifySocket(t);
  const p = await startPrefork(t, ['start', path.join(APPS, 'throws.js'), '--bind', '127.0.0.1:0', '--workers', '1'], { env: { NOTIFY_SOCKET: sock.path }, ready: /halting/ });
  t.equal((await p.exited).code, 3, 'the app cannot boot: exit 3');
  const halted = await sock.waitFor(m => m.fields.ERRNO !== undefined, 5000);
  t.equal(halted.fields.ERRNO, '5', 'ERRNO=5 (EIO) for exit 3');
  t.match(halted.fields.STATUS, /^halted: .*refuses to boot/, `STATUS says why: ${halted.fields.STATUS}`);
  t.notOk(sock.messages.some(is('READY')), 'and READY=1 was never sent');
});
