// Zero-downtime generation swaps (docs/ARCHITECTURE.md, "Draining") through the real CLI: SIGHUP and `prefork reload` under
// keep-alive load, failing closed, coalescing, leaks over many reloads, and the graceful-timeout kill.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { filledF64Npy } from '../helpers/build';
import { keepAliveLoad, startProbe, wrk } from '../helpers/load';
import { haveTools, needs } from '../helpers/tools';
import { APPS, descendants, get, packageTempDir, getJson, isAlive, memfdHolders, MODE, runCli, sleep, startPrefork, until, type Running } from '../helpers/prefork';

interface Gen {
  pid: number;
  generation: number;
  value: number;
}

/** Writes a float64 .npy of `n` copies of `value` atomically (temp file + rename, as a deploy would). */
function writeData(file: string, value: number, n = 1000): void {
  fs.writeFileSync(`${file}.tmp`, filledF64Npy(value, n));
  fs.renameSync(`${file}.tmp`, file);
}

const tempDir = (t: Test) => packageTempDir(t, 'reload');

/** Serves a copy of gen.js (so the test can break it) with a data.npy of `value`, both in a package temp dir. */
async function startWithOwnApp(t: Test, value: number, extra: string[]): Promise<{ data: string; app: string; p: Running }> {
  const dir = tempDir(t);
  const data = path.join(dir, 'data.npy');
  const app = path.join(dir, 'app.js');
  fs.copyFileSync(path.join(APPS, 'gen.js'), app);
  writeData(data, value);
  const p = await startPrefork(t, ['start', app, '--share', `d=${data}`, '--bind', '127.0.0.1:0', ...extra]);
  return { data, app, p };
}

/** Waits until only the serving generation is left (the old one drained and released). */
async function quiesce(p: Running): Promise<boolean> {
  return until(async () => {
    const s = await runCli(['status', '--json', '--control', p.control]);
    const st = JSON.parse(s.stdout) as { generations: { state: string }[] };
    return st.generations.length === 1 && st.generations[0]?.state === 'active';
  }, 30_000, 100);
}

async function reload(p: Running): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(['reload', '--control', p.control]);
}

t.test('5 reloads under keep-alive load and a fresh-connection probe: nothing dropped', needs('wrk'), async t => {
  if (!haveTools(t, 'wrk')) return;
  const dir = tempDir(t);
  const data = path.join(dir, 'data.npy');
  writeData(data, 1);
  const p = await startPrefork(t, ['start', path.join(APPS, 'gen.js'), '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '2']);
  const probe = startProbe(p.port, 20);
  const load = keepAliveLoad(p.port, 20, 14);
  const wrkLoad = wrk(p.port, 20, 14);
  await sleep(1000);
  for (let i = 2; i <= 6; i++) {
    writeData(data, i);
    const r = await reload(p);
    t.equal(r.code, 0, `reload ${i - 1} succeeded: ${r.stdout}${r.stderr}`);
    t.match(r.stdout, new RegExp(`generation ${i} is serving`));
    const served = await getJson<Gen>(p.port);
    t.equal(served.generation, i, `generation ${i} serves after reload`);
    t.equal(served.value, i, "and serves the new file's values");
    await sleep(1200);
  }
  const [l, pr] = [await load, await probe.stop()];
  t.ok(l.requests > 1000, `the keep-alive load ran (${l.requests} requests on 20 connections)`);
  t.same(l.failures.slice(0, 10), [], `keep-alive load: 0 failed requests (${l.failures.length} failed)`);
  const w = await wrkLoad;
  t.ok(w.requests > 1000, `wrk ran (${w.requests} requests on 20 connections)`);
  t.equal(w.socketErrors, 0, `wrk: 0 socket errors (connect, read, write, timeout)\n${w.raw}`);
  t.equal(w.non2xx, 0, 'wrk: 0 non-2xx responses');
  t.ok(pr.requests > 200, `the probe ran (${pr.requests} fresh connections)`);
  t.same(pr.failures, [], 'probe: no failed request');
  t.equal(Math.max(...pr.generations), 6, 'clients saw generation 6');
  for (const [gen, values] of pr.values) t.same([...values], [gen], `generation ${gen} served only its own file`);
});

t.test('a failed reload keeps the old generation serving; a later good one succeeds', async t => {
  const { data, app, p } = await startWithOwnApp(t, 7, ['--workers', '2']);
  const probe = startProbe(p.port, 10);

  const good = fs.readFileSync(data);
  fs.writeFileSync(data, good.subarray(0, good.length - 100)); // truncated
  let r = await reload(p);
  t.equal(r.code, 75, 'reload with a truncated dataset exits 75');
  t.match(r.stderr, new RegExp(`${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*PREFORK_DATASET_TRUNCATED`), 'and names the file and the error');
  t.equal((await getJson<Gen>(p.port)).generation, 1, 'generation 1 still serves');

  writeData(data, 8);
  fs.writeFileSync(app, "throw new Error('deploy broke the app: no CONFIG');\n");
  r = await reload(p);
  t.equal(r.code, 75, 'reload with an app that throws at import exits 75');
  t.match(r.stderr, /deploy broke the app: no CONFIG/, "and prints the app's error");
  t.equal((await getJson<Gen>(p.port)).value, 7, 'generation 1 still serves its data');

  fs.copyFileSync(path.join(APPS, 'gen.js'), app);
  r = await reload(p);
  t.equal(r.code, 0, `a later good reload succeeds: ${r.stderr}`);
  const served = await getJson<Gen>(p.port);
  t.equal(served.value, 8, 'with the new data');
  const pr = await probe.stop();
  t.ok(pr.requests > 50);
  t.same(pr.failures, [], '0 failed requests throughout');
  t.match(p.output(), /generation 1 keeps serving/);
});

t.test('with --reload-strategy replace, a malformed dataset fails the reload before the serving generation is retired', async t => {
  const { data, p } = await startWithOwnApp(t, 3, ['--workers', '1', '--reload-strategy', 'replace']);
  fs.writeFileSync(data, 'not a dataset');
  const r = await reload(p);
  t.equal(r.code, 75, `exit 75: ${r.stderr.trim()}`);
  t.match(r.stderr, /PREFORK_DATASET_BAD_HEADER.*generation 1 keeps serving/, 'naming the error');
  t.equal((await getJson<Gen>(p.port)).value, 3, 'generation 1 still serves');
});

t.test('a reload whose workers are not ready within --boot-timeout fails closed', async t => {
  const { app, p } = await startWithOwnApp(t, 3, ['--workers', '1', '--boot-timeout', '1']);
  const probe = startProbe(p.port, 20);
  fs.writeFileSync(app, '// never ready: keeps running but exports nothing and never calls listen()\nsetInterval(() => {}, 1000);\n');
  const r = await reload(p);
  t.equal(r.code, 75, 'the reload fails');
  t.match(r.stderr, /not ready within 1 s/, 'and says why');
  t.match(p.output(), /not ready within the boot timeout: SIGKILL/);
  const served = await getJson<Gen>(p.port);
  t.same([served.generation, served.value], [1, 3], 'generation 1 keeps serving');
  t.same((await probe.stop()).failures, [], '0 failed requests');
});

t.test('a storm of 50 SIGHUPs coalesces and ends with the right files and one generation', async t => {
  const dir = tempDir(t);
  const data = path.join(dir, 'data.npy');
  writeData(data, 1);
  const p = await startPrefork(t, ['start', path.join(APPS, 'gen.js'), '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '2']);
  for (let i = 0; i < 50; i++) {
    if (i === 25) writeData(data, 99);
    process.kill(p.pid, 'SIGHUP');
    await sleep(20);
  }
  t.ok(await quiesce(p), 'one generation remains, active');
  const swaps = (p.output().match(/reloading: starting generation/g) ?? []).length;
  t.ok(swaps >= 2 && swaps < 50, `reloads coalesced into ${swaps} swaps`);
  const served = await getJson<Gen>(p.port);
  t.equal(served.value, 99, 'the last file is loaded');
  const zygotes = (p.output().match(/zygote started \(pid (\d+)\)/g) ?? []).map(m => Number(/\d+/.exec(m)?.[0]));
  const live = descendants(p.pid);
  t.equal(zygotes.filter(z => live.includes(z)).length, MODE === 'fork' ? 1 : 0, 'exactly one zygote is alive (none in exec mode)');
});

t.test('100 reloads: supervisor fds and RSS flat, no old memfd or zygote left', async t => {
  const dir = tempDir(t);
  const data = path.join(dir, 'data.npy');
  const name = `leak${process.pid}`;
  writeData(data, 1, 100_000);
  const p = await startPrefork(t, ['start', path.join(APPS, 'gen.js'), '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '2',
    '--share', `${name}=${data}`]);
  const fds = () => fs.readdirSync(`/proc/${p.pid}/fd`).length;
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1]);
  let fd0 = 0;
  let rss0 = 0;
  for (let i = 1; i <= 100; i++) {
    const r = await reload(p);
    if (r.code !== 0) t.fail(`reload ${i}: ${r.stderr}`);
    if (i === 40) {
      // after a warm-up: V8's heap and the allocator settle over the first reloads (longer on Node 24)
      await quiesce(p);
      fd0 = fds();
      rss0 = rss();
    }
  }
  await quiesce(p);
  const fd1 = fds();
  const rss1 = rss();
  t.equal(fd1, fd0, `open fds flat (${fd0} → ${fd1})`);
  t.ok(rss1 <= rss0 * 1.05, `RSS did not grow more than 5% (${rss0} kB → ${rss1} kB)`);
    const holders = new Set<string>();
  for (let g = 1; g <= 100; g++) if (memfdHolders(`${name}@${g}\u0020`).length) holders.add(String(g));
  t.same([...holders], [], 'no process holds a memfd of generations 1-100');
  t.ok(memfdHolders(`${name}@101`).length > 0, 'generation 101 holds its memfd');
  const zygotes = [...p.output().matchAll(/zygote started \(pid (\d+)\)/g)].map(m => Number(m[1]));
  t.equal(zygotes.length, MODE === 'fork' ? 101 : 0, 'a zygote per generation (none in exec mode)');
  const live = descendants(p.pid);
  t.equal(zygotes.filter(z => live.includes(z)).length, MODE === 'fork' ? 1 : 0, 'only the current zygote is alive');
});

t.test('a worker that ignores SIGTERM and holds a request is killed at --graceful-timeout; the swap completes', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'ignore-term.js'), '--bind', '127.0.0.1:0', '--workers', '1', '--graceful-timeout', '2']);
  const old = JSON.parse((await get(p.port, '/')).body) as { pid: number };
  const hung = get(p.port, '/hang', { timeoutMs: 20_000 }).catch(e => e as Error);
  await sleep(200);
  const t0 = Date.now();
  const r = await reload(p);
  t.equal(r.code, 0, 'the reload itself succeeds');
  await p.waitFor(new RegExp(`pid ${old.pid}\\) did not stop within the graceful timeout: SIGKILL`), 10_000);
  await p.waitFor(/generation 1 drained and released/, 10_000);
  const took = Date.now() - t0;
  t.ok(took >= 1500 && took < 8000, `killed at the graceful timeout (${took} ms after the reload)`);
  t.notOk(isAlive(old.pid), 'the old worker is gone');
  t.type(await hung, Error, 'the held request was cut when its worker was killed');
  t.not(JSON.parse((await get(p.port, '/')).body).pid, old.pid, 'the new generation serves');
});
