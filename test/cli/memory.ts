// Memory limits through the real CLI, inside a real memory cgroup (test/helpers/cgroup.ts): a reload that does not
// fit fails closed (generation 1 serves every request, the supervisor lives, nothing of generation 2 is left), a
// start that does not fit exits 71 with the numbers, --reload-strategy replace swaps a dataset that cannot exist
// twice, and a worker that eats memory is the one the OOM killer takes, then is replaced.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { EXIT } from '../../src/exit-codes';
import { writeFilledF64Npy } from '../helpers/build';
import { cgroupOomKills, cgroupPids, cgroupUnavailable, memoryCgroup } from '../helpers/cgroup';
import { startProbe } from '../helpers/load';
import { APPS, descendants, get, getJson, isAlive, memfdHolders, MODE, packageTempDir, runCli, startPrefork, until } from '../helpers/prefork';
import type { SupervisorStatus } from '../../src/supervisor/status';

/** How a refusal names the processes a generation needs besides its datasets. */
const PROCESSES = MODE === 'fork' ? 'zygote and workers' : 'workers';

const MiB = 1 << 20;
const MB = 1e6;
/** f64 elements in a dataset of about `mb` MB. */
const elements = (mb: number) => Math.round((mb * MB) / 8);

const unavailable = cgroupUnavailable();
const needsCgroup = unavailable === undefined ? {} : { skip: unavailable };

interface Served {
  pid: number;
  generation: number;
  value: number;
}

/** A package temp dir with data.npy of about `mb` MB of `value`. */
function dataFile(t: Test, mb: number, value: number): string {
  const data = path.join(packageTempDir(t, 'memory'), 'data.npy');
  writeFilledF64Npy(data, value, elements(mb));
  return data;
}

const start = (t: Test, data: string, procs: string, extra: string[] = []) =>
  startPrefork(t, ['start', path.join(APPS, 'gen.js'), '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '2', ...extra], { cgroupProcs: procs });

t.test('a reload that does not fit in the memory cgroup fails closed; generation 1 keeps serving', needsCgroup, async t => {
  const cg = memoryCgroup(t, 512 * MiB);
  const data = dataFile(t, 100, 1);
  const p = await start(t, data, cg.procs);
  t.ok(cgroupPids(cg).includes(p.pid), 'the supervisor runs inside the 512 MiB cgroup');
  const probe = startProbe(p.port, 20);
  writeFilledF64Npy(data, 2, elements(600));
  const r = await runCli(['reload', '--control', p.control]);
  t.equal(r.code, EXIT.TEMPFAIL.code, `prefork reload exits 75 (${r.stderr.trim()})`);
  t.match(r.stderr, new RegExp(`generation 2 needs \\d+\\.\\d MB \\(datasets 600\\.0 MB, ${PROCESSES} \\d+\\.\\d MB\\); the service may use \\d+\\.\\d MB more under its memory limit \\(512\\.0 MiB\\) \\[PREFORK_NO_MEMORY\\]; generation 1 keeps serving`), 'the error names the numbers');
  t.match(p.output(), /generation 2 failed: generation 2 needs/, 'the supervisor logs it');
  t.match(p.output(), /generation 1 keeps serving/);
  const status = JSON.parse((await runCli(['status', '--json', '--control', p.control])).stdout) as SupervisorStatus;
  t.match(status.lastReloadError, /generation 2 needs/, 'status carries the same error');
  t.equal(status.memory.limit, 512 * MiB, 'status shows the memory limit');
  t.ok(status.memory.datasets > 100 * MB && status.memory.datasets < 101 * MB, `status shows the datasets' bytes (${status.memory.datasets})`);
  t.ok(status.memory.headroom > 0 && status.memory.headroom < 512 * MiB - 100 * MB, `and the headroom (${status.memory.headroom})`);
  t.ok(status.memory.reloadNeeds > 100 * MB, `and what a reload of the same files needs (${status.memory.reloadNeeds})`);
  const served = await getJson<Served>(p.port);
  t.same([served.generation, served.value], [1, 1], 'generation 1 answers with its own data after the failure');
  const pr = await probe.stop();
  t.ok(pr.requests > 20, `the probe ran (${pr.requests} requests)`);
  t.same(pr.failures, [], 'the probe saw 0 failed requests');
  t.same([...pr.generations], [1], 'every request was served by generation 1');
  t.ok(isAlive(p.pid), `the supervisor (pid ${p.pid}) is the same process, alive`);
  const tree = [p.pid, ...descendants(p.pid)];
  t.same(memfdHolders('d@2').filter(pid => tree.includes(pid)), [], 'no memfd of generation 2 is left in the supervisor or its children');
  t.equal(cgroupOomKills(cg), 0, 'the OOM killer was never needed');
});

t.test('a start that does not fit exits 71 with the numbers', needsCgroup, async t => {
  const cg = memoryCgroup(t, 512 * MiB);
  const data = dataFile(t, 600, 1);
  const p = await startPrefork(t, ['start', path.join(APPS, 'gen.js'), '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '2'], {
    cgroupProcs: cg.procs,
    ready: null,
  });
  const { code, signal } = await p.exited;
  t.same({ code, signal }, { code: EXIT.NOMEM.code, signal: null }, 'exit 71, not a kill');
  t.match(p.output(), new RegExp(`generation 1 failed: generation 1 needs \\d+\\.\\d MB \\(datasets 600\\.0 MB, ${PROCESSES} \\d+\\.\\d MB\\); the service may use \\d+\\.\\d MB more under its memory limit \\(512\\.0 MiB\\)`), 'with the numbers');
  t.match(p.output(), /stopped \(exit code 71\)/);
  t.equal(cgroupOomKills(cg), 0, 'the OOM killer was never needed');
});

t.test('--reload-strategy replace swaps a dataset that cannot exist twice', needsCgroup, async t => {
  const cg = memoryCgroup(t, 1024 * MiB);
  const data = dataFile(t, 100, 1);
  const p = await start(t, data, cg.procs, ['--reload-strategy', 'replace']);
  writeFilledF64Npy(data, 2, elements(600));
  const r = await runCli(['reload', '--control', p.control]);
  t.equal(r.code, 0, `the reload succeeds: ${r.stdout}${r.stderr}`);
  t.match(p.output(), /reload strategy replace: generation 1 drains before generation 2 loads/, 'the log says capacity drops');
  t.match(p.output(), /generation 1 drained and released[\s\S]*dataset 'd' loaded from/, 'generation 1 was released before generation 2 loaded');
  const served = await getJson<Served>(p.port);
  t.same([served.generation, served.value], [2, 2], 'generation 2 serves the 600 MB file');
  t.equal(cgroupOomKills(cg), 0, 'without the OOM killer');
});

t.test('a worker that eats memory is what the OOM killer takes; the supervisor logs it and replaces it', needsCgroup, async t => {
  const cg = memoryCgroup(t, 256 * MiB);
  const p = await startPrefork(t, ['start', path.join(APPS, 'hog.js'), '--bind', '127.0.0.1:0', '--workers', '2'], { cgroupProcs: cg.procs });
  const from = p.output().length;
  await get(p.port, '/hog', { timeoutMs: 20_000 }).catch(() => undefined);
  const m = await p.waitFor(/worker 1\.(\d) \(pid (\d+)\) died: exited with signal 9 \(OOM suspected: [^)]*\)/, 30_000, from);
  t.pass(`logged: ${m[0]}`);
  t.ok(cgroupOomKills(cg) >= 1, 'the cgroup counted an OOM kill');
  t.ok(isAlive(p.pid), 'the supervisor survived');
  await p.waitFor(new RegExp(`worker 1\\.${m[1]} started`), 20_000, from + p.output().slice(from).indexOf(m[0]));
  t.ok(await until(async () => (await getJson<{ pid: number }>(p.port).catch(() => undefined)) !== undefined, 10_000), 'the service answers again');
});

t.test('the OOM killer is pointed at workers, then zygotes, never the supervisor first', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'gen.js'), '--share', `d=${dataFile(t, 1, 1)}`, '--bind', '127.0.0.1:0', '--workers', '2']);
  const score = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8'));
  const base = score(process.pid);
  const zygote = Number(/zygote started \(pid (\d+)\)/.exec(p.output())?.[1]);
  const workers = [...p.output().matchAll(/worker 1\.\d started \(pid (\d+)\)/g)].map(m => Number(m[1]));
  t.equal(workers.length, 2);
  const supervisor = score(p.pid);
  // lowering a score takes CAP_SYS_RESOURCE, which even root may lack (as in this sandbox)
  const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
  if ((capEff >> 24n) & 1n) t.equal(supervisor, base - 500, 'with CAP_SYS_RESOURCE the supervisor lowers its own score');
  else t.equal(supervisor, base, 'without CAP_SYS_RESOURCE the supervisor keeps its score');
  t.match(p.output(), new RegExp(`OOM killer order .*supervisor ${supervisor}`), 'the log says what it chose');
  if (MODE === 'fork') t.equal(score(zygote), base + 100, 'the zygote is above it');
  for (const w of workers) t.equal(score(w), base + 300, `serving worker ${w} above the zygote`);
});

t.test("a new generation's booting workers come before the serving ones", async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'slow-boot.js'), '--bind', '127.0.0.1:0', '--workers', '1']);
  const base = Number(fs.readFileSync(`/proc/${process.pid}/oom_score_adj`, 'utf8'));
  process.kill(p.pid, 'SIGHUP');
  const m = await p.waitFor(/worker 2\.1 started \(pid (\d+)\)/);
  const booting = Number(fs.readFileSync(`/proc/${Number(m[1])}/oom_score_adj`, 'utf8'));
  t.equal(booting, base + 600, 'a booting worker of generation 2 is the first choice');
  await p.waitFor(/generation 2 ready/);
  t.equal(Number(fs.readFileSync(`/proc/${Number(m[1])}/oom_score_adj`, 'utf8')), base + 300, 'and moves back once its generation serves');
});
