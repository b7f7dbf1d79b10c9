// Recycling through the real CLI (gunicorn's max_requests + jitter, PM2's max_memory_restart done on private memory,
// and an age limit): a recycled worker's replacement is ready before it drains, so a keep-alive load sees nothing
// fail; a worker that leaks is recycled, one that only reads a big shared dataset is not.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { writeFilledF64Npy } from '../helpers/build';
import { keepAliveLoad, startProbe } from '../helpers/load';
import { APPS, getJson, packageTempDir, sleep, startPrefork } from '../helpers/prefork';

const recycled = (out: string) => [...out.matchAll(/worker \d+\.\d+ \(pid \d+\) recycled: ([^;]*); its replacement is ready/g)].map(m => m[1] ?? '');

t.test('--max-requests 50 --max-requests-jitter 10 under keep-alive load: workers recycle, 0 requests fail', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '2', '--max-requests', '50', '--max-requests-jitter', '10']);
  const probe = startProbe(p.port, 20);
  const load = await keepAliveLoad(p.port, 4, 4);
  const pr = await probe.stop();
  const done = recycled(p.output());
  t.ok(load.requests > 500, `the keep-alive load ran (${load.requests} requests on 4 connections)`);
  t.same(load.failures.slice(0, 10), [], `keep-alive load: 0 failed requests (${load.failures.length} failed)`);
  t.same(pr.failures, [], `fresh-connection probe: 0 failed of ${pr.requests}`);
  t.ok(done.length >= 4, `${done.length} workers recycled`);
  const served = done.map(r => Number(/served (\d+) requests \(--max-requests 50 \+ jitter (\d+)\)/.exec(r)?.[1]));
  const jitter = done.map(r => Number(/jitter (\d+)/.exec(r)?.[1]));
  t.ok(jitter.every(j => j >= 0 && j <= 10), `jitter within 0-10 (${[...new Set(jitter)].sort((a, b) => a - b).join(' ')})`);
  t.ok(served.every((n, i) => n >= 50 + (jitter[i] ?? 0)), 'each served at least its limit');
  t.ok(new Set(jitter).size > 1, 'and the limits differ, so workers do not all recycle at once');
});

t.test('--max-memory 64M recycles a worker that leaks 2 MB per request', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'leak.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--max-memory', '64M']);
  const first = (await getJson<{ pid: number }>(p.port)).pid;
  for (let i = 0; i < 40; i++) await getJson(p.port);
  const m = await p.waitFor(new RegExp(`worker 1\\.1 \\(pid ${first}\\) recycling: private memory ([\\d.]+) MiB \\(Pss_Anon\\) over --max-memory 64\\.0 MiB`), 5000);
  t.ok(Number(m[1]) > 64, `recycled at ${m[1]} MiB private`);
  await p.waitFor(new RegExp(`\\(pid ${first}\\) recycled: `), 5000);
  await p.waitFor(new RegExp(`\\(pid ${first}\\) exited with code 0`), 5000);
  const after = await getJson<{ pid: number; keptMB: number }>(p.port);
  t.not(after.pid, first, 'a fresh worker serves');
  t.equal(after.keptMB, 2, 'with nothing leaked yet');
});

t.test('--max-memory 64M leaves alone a worker that reads every byte of a 1 GB shared dataset', async t => {
  const file = path.join(packageTempDir(t, 'recycle'), 'big.npy');
  writeFilledF64Npy(file, 1, 2 ** 27);
  const p = await startPrefork(t, ['start', path.join(APPS, 'scan.js'), '--share', `big=${file}`, '--bind', '127.0.0.1:0', '--workers', '1', '--max-memory', '64M'], { timeoutMs: 60_000 });
  const pid = (await getJson<{ pid: number; sum: number }>(p.port)).pid;
  for (let i = 0; i < 3; i++) t.equal((await getJson<{ sum: number }>(p.port)).sum, 2 ** 27, 'the whole dataset is summed');
  const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
  t.ok(rss > 1e9, `its RSS is ${(rss / 2 ** 30).toFixed(2)} GiB (the shared pages)`);
  await sleep(1500);
  t.notMatch(p.output(), /recycling/, 'and it is not recycled: shared pages are not private memory');
  t.equal((await getJson<{ pid: number }>(p.port)).pid, pid, 'the same worker still serves');
});

t.test('--max-age recycles a worker after it has served that long', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--max-age', '1']);
  const m = await p.waitFor(/worker 1\.1 \(pid (\d+)\) recycling: running for \d+ s \(--max-age 1 s\)/, 5000);
  await p.waitFor(new RegExp(`\\(pid ${m[1]}\\) recycled: `), 5000);
  t.pass('recycled after 1 s');
});
