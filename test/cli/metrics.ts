// --metrics-bind through the real CLI: the supervisor serves the scoreboard and its counters in the Prometheus text
// format, read here with a real parser (parse-prometheus-text-format); request counts, restarts by cause and reloads
// follow what the test did.
import * as path from 'node:path';
import t from 'tap';
import { APPS, get, getJson, runCli, startPrefork, until } from '../helpers/prefork';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parse = require('parse-prometheus-text-format') as (text: string) => { name: string; type: string; metrics: { value: string; labels?: Record<string, string> }[] }[];

t.test('the metrics endpoint parses as Prometheus text and follows what happens', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0', '--workers', '2', '--metrics-bind', '127.0.0.1:0']);
  const port = Number((await p.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
  const scrape = async () => {
    const r = await get(port, '/metrics');
    t.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const families = parse(r.body);
    const value = (name: string, labels: Record<string, string> = {}) =>
      families.find(f => f.name === name)?.metrics.filter(m => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)).reduce((n, m) => n + Number(m.value), 0);
    return { families, value };
  };
  for (let i = 0; i < 20; i++) await get(p.port, '/');
  let m = await scrape();
  t.equal(m.families.find(f => f.name === 'prefork_worker_requests_total')?.type, 'COUNTER', 'typed families');
  t.equal(m.value('prefork_generation'), 1);
  t.equal(m.value('prefork_workers', { state: 'ready' }), 2);
  t.equal(m.value('prefork_worker_requests_total'), 20, '20 requests counted from the scoreboard');
  t.equal(m.value('prefork_reloads_total'), 0);
  const victim = (await getJson<{ pid: number }>(p.port)).pid;
  process.kill(victim, 'SIGKILL');
  await p.waitFor(new RegExp(`\\(pid ${victim}\\) died: exited with signal 9`));
  t.equal((await runCli(['reload', '--control', p.control])).code, 0);
  t.ok(await until(async () => (await scrape()).value('prefork_generation') === 2, 10_000), 'generation 2 serves');
  m = await scrape();
  t.equal(m.value('prefork_worker_restarts_total', { cause: 'died' }), 1, 'one restart, cause died');
  t.equal(m.value('prefork_reloads_total'), 1, 'one reload');
  t.equal(m.value('prefork_reload_failures_total'), 0);
  t.equal((await get(port, '/nope')).status, 404, 'only /metrics is served');
});

t.test('/healthz answers while the loop runs; /readyz only while a generation serves with a ready worker', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'slow-boot.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--metrics-bind', '127.0.0.1:0'], { ready: /metrics on/ });
  const port = Number((await p.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
  t.equal((await get(port, '/healthz')).status, 200, 'healthz: 200 at once');
  const booting = await get(port, '/readyz');
  t.equal(booting.status, 503, `readyz: 503 while generation 1 boots (${booting.body.trim()})`);
  await p.waitFor(/generation 1 ready/, 20_000);
  t.equal((await get(port, '/readyz')).status, 200, 'readyz: 200 once it serves');
});
