// The `prefork start` integration suite, run once per worker mode (test/cli/start-fork.ts, start-exec.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { startProbe } from './load';
import { APPS, FIXTURES, ROOT, firstReplyPerWorker, forkSafe, get, getJson, isAlive, memfdHolders, portOpen, startPrefork, until } from './prefork';

interface Probe {
  pid: number;
  realPid: number;
  random: number;
  uuid: string;
  datasets: string[];
  generation: number;
  sum: number | null;
  env: string | null;
}

export function startSuite(mode: 'fork' | 'exec'): void {
  const base = ['--worker-mode', mode, '--bind', '127.0.0.1:0', '--graceful-timeout', '5'];
  const opts = mode === 'fork' ? forkSafe : {};
  const marker = () => `m${process.pid}x${Math.floor(Math.random() * 1e9)}`;

  t.test(`${mode}: two workers serve HTTP and read the shared dataset`, opts, async t => {
    const name = marker();
    const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '2',
      '--share', `${name}=${path.join(FIXTURES, 'f64_vector.npy')}`, '--env', 'PROBE_ENV=hello']);
    const manifest = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8'));
    const expected = manifest.files['f64_vector.npy'].arrays[''].sum as number;
    const replies = await firstReplyPerWorker<Probe>(p.port, 2, `/?dataset=${name}`);
    const pids = new Set(replies.keys());
    for (const r of replies.values()) {
      t.ok(Math.abs((r.sum ?? NaN) - expected) <= 1e-9 * Math.abs(expected), `worker ${r.pid} sums the dataset to ${expected}`);
      t.same(r.datasets, [name]);
      t.equal(r.generation, 1);
      t.equal(r.env, 'hello', '--env reaches the worker');
    }
    t.equal(pids.size, 2, 'responses come from both workers');
    for (const pid of pids) t.not(pid, p.pid, 'a worker is not the supervisor');
  });

  t.test(`${mode}: workers run in the supervisor's session (one scheduler autogroup, as node:cluster's) but not its process group`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '2']);
    const ids = (pid: number) => {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      return { pgrp, session };
    };
    const sup = ids(p.pid);
    const workers = [...(await firstReplyPerWorker<Probe>(p.port, 2)).keys()];
    for (const pid of workers) {
      const w = ids(pid);
      t.equal(w.session, sup.session, `worker ${pid}: the supervisor's session ${sup.session}`);
      t.not(w.pgrp, sup.pgrp, `worker ${pid}: a process group (${w.pgrp}) other than the supervisor's (a terminal's ^C reaches only the supervisor)`);
    }
    if (mode === 'fork') {
      const zygote = Number(/zygote started \(pid (\d+)\)/.exec(p.output())?.[1]);
      t.same(workers.map(pid => ids(pid).pgrp), [zygote, zygote], 'forked workers are in the zygote\'s group (one SIGKILL ends them all)');
    }
  });

  t.test(`${mode}: identity and randomness differ across 4 workers`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '4']);
    const seen = await firstReplyPerWorker<Probe>(p.port, 4);
    for (const r of seen.values()) t.equal(r.pid, r.realPid, `process.pid is the real pid (${r.pid})`);
    t.equal(seen.size, 4, 'all four workers answered');
    const randoms = new Set([...seen.values()].map(r => r.random));
    const uuids = new Set([...seen.values()].map(r => r.uuid));
    t.equal(randoms.size, 4, 'Math.random differs in every worker');
    t.equal(uuids.size, 4, 'crypto.randomUUID differs in every worker');
  });

  t.test(`${mode}: SIGTERM drains in-flight requests and leaves nothing behind`, opts, async t => {
    const name = marker();
    const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '2',
      '--share', `${name}=${path.join(FIXTURES, 'u8_image.npy')}`]);
    t.ok(memfdHolders(name).length > 0, 'the dataset memfd exists while serving');
    const tree = p.childPids();
    const slow = get(p.port, '/slow?ms=800');
    await new Promise(r => setTimeout(r, 200));
    p.proc.kill('SIGTERM');
    const reply = await slow;
    t.equal(reply.status, 200, 'the in-flight request finished');
    const { code } = await p.exited;
    t.equal(code, 0, 'exit code 0');
    t.ok(await until(() => tree.every(pid => !isAlive(pid)), 3000), 'every worker and zygote is gone');
    t.notOk(await portOpen(p.port), 'the port is free');
    t.same(memfdHolders(name), [], 'no process holds the dataset memfd');
    t.match(p.output(), /stopped \(exit code 0\)/);
  });

  t.test(`${mode}: SIGKILL of the supervisor takes every worker with it within 1 s`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '2']);
    const tree = p.childPids();
    t.ok(tree.length >= 2);
    p.proc.kill('SIGKILL');
    await p.exited;
    t.ok(await until(() => tree.every(pid => !isAlive(pid)), 1000), 'all gone within 1 s');
  });

  t.test(`${mode}: a killed worker is replaced while the others keep serving`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '2']);
    const first = await getJson<Probe>(p.port);
    const from = p.output().length;
    process.kill(first.pid, 'SIGKILL');
    for (let i = 0; i < 10; i++) t.equal((await get(p.port)).status, 200, 'still served');
    const m = await p.waitFor(/worker 1\.\d+ started \(pid (\d+)\)/, 10_000, from);
    const replacement = Number(m[1]);
    t.not(replacement, first.pid);
    await p.waitFor(new RegExp(`pid ${replacement}\\) ready`), 10_000, from);
    t.match(p.output().slice(from), new RegExp(`pid ${first.pid}\\) died: exited with signal 9`));
    t.ok((await firstReplyPerWorker<Probe>(p.port, 2)).has(replacement), 'the replacement serves');
  });

  t.test(`${mode}: every exit path of a worker ends with the right code and the error logged`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '1']);
    const cases = [
      ['/throw', 1, /uncaught exception: Error: probe async throw/],
      ['/reject', 1, /unhandled rejection: Error: probe unhandled rejection/],
      ['/exit?code=7', 7, null],
    ] as const;
    for (const [url, code, logged] of cases) {
      const from = p.output().length;
      const { pid } = JSON.parse((await get(p.port, url)).body) as { pid: number };
      await p.waitFor(new RegExp(`\\(pid ${pid}\\) died: exited with code ${code}\\b`), 10_000, from);
      if (logged) t.match(p.output().slice(from), logged, `${url}: the error is logged`);
      t.match(p.output().slice(from), new RegExp(`probe exit listener ran in ${pid} with code ${code}`), `${url}: the app's exit listener ran`);
      t.pass(`${url}: worker ${pid} exited with code ${code}`);
      await p.waitFor(/worker 1\.1 \(pid \d+\) ready/, 15_000, from);
    }
  });

  if (mode === 'fork') {
    t.test('fork: a killed zygote does not stop the service: its workers serve until a new generation takes over', opts, async t => {
      const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '2']);
      const zygote = Number(/zygote started \(pid (\d+)\)/.exec(p.output())?.[1]);
      const probe = startProbe(p.port, 20);
      process.kill(zygote, 'SIGKILL');
      await p.waitFor(/generation 2 ready/, 20_000);
      await p.waitFor(/generation 1 drained and released/, 20_000);
      const seen = await probe.stop();
      t.same(seen.failures, [], 'no request failed');
      t.equal((await getJson<Probe>(p.port)).generation, 2, 'generation 2 serves');
      t.equal(p.proc.exitCode, null, 'the supervisor is still running');
    });
  }

  t.test(`${mode}: the supervisor reaps orphans an app leaves behind (no zombies)`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '1']);
    for (let i = 0; i < 5; i++) await get(p.port, '/orphan');
    const zombies = () =>
      fs.readdirSync('/proc').filter(d => {
        if (!/^\d+$/.test(d)) return false;
        try {
          const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
          const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return state === 'Z' && Number(ppid) === p.pid;
        } catch {
          return false;
        }
      });
    await new Promise(r => setTimeout(r, 500)); // the sleeps end and become the supervisor's zombies
    t.ok(await until(() => zombies().length === 0, 3000), `no zombie left under the supervisor (${zombies().join(', ')})`);
  });

  t.test(`${mode}: options come from PREFORK_* environment variables too`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base], { env: { PREFORK_WORKERS: '3' } });
    t.match(p.output(), /generation 1 ready: 3 workers/);
  });

  t.test(`${mode}: SIGINT drains like SIGTERM; SIGQUIT stops at once`, opts, async t => {
    const a = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '1']);
    const slowA = get(a.port, '/slow?ms=600');
    await new Promise(r => setTimeout(r, 150));
    a.proc.kill('SIGINT');
    t.equal((await slowA).status, 200, 'SIGINT: the in-flight request finished');
    t.equal((await a.exited).code, 0);

    const q = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '1']);
    const tree = q.childPids();
    const slowQ = get(q.port, '/slow?ms=3000').catch(e => e as Error);
    await new Promise(r => setTimeout(r, 150));
    const t0 = Date.now();
    q.proc.kill('SIGQUIT');
    t.equal((await q.exited).code, 0);
    t.ok(Date.now() - t0 < 2000, `SIGQUIT: stopped in ${Date.now() - t0} ms, without waiting for the request`);
    t.type(await slowQ, Error, 'SIGQUIT: the in-flight request was cut');
    t.ok(await until(() => tree.every(pid => !isAlive(pid)), 2000), 'every worker and zygote is gone');
  });

  t.test(`${mode}: workers that keep dying are replaced with growing delays`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(APPS, 'crash-after.js'), ...base, '--workers', '1']);
    const times: number[] = [];
    let from = 0;
    for (let i = 0; i < 5; i++) {
      const m = await p.waitFor(/worker 1\.1 started/, 20_000, from);
      times.push(Date.now());
      from = p.output().indexOf(m[0], from) + m[0].length;
    }
    const gaps = times.slice(1).map((x, i) => x - (times[i] ?? x));
    t.ok((gaps[3] ?? 0) > (gaps[0] ?? 0) + 300, `gaps between restarts grow: ${gaps.join(', ')} ms`);
    t.match(p.output(), /worker exits in the last minute: next worker starts in \d+ ms/);
    t.equal(p.proc.exitCode, null, 'a generation that served once is not halted');
  });

  t.test(`${mode}: a worker pre-faults its dataset pages before it reports ready`, opts, async t => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-populate-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'big.bin');
    fs.writeFileSync(file, Buffer.alloc(8 << 20, 7));
    const name = marker();
    const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), ...base, '--workers', '1', '--share', `${name}=${file}`]);
    const worker = Number(/worker 1\.1 started \(pid (\d+)\)/.exec(p.output())?.[1]);
    const smaps = fs.readFileSync(`/proc/${worker}/smaps`, 'utf8');
    const block = smaps.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/).find(b => b.includes(`memfd:prefork:${name}@`));
    t.ok(block, 'the worker maps the dataset');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(block ?? '')?.[1]);
    t.ok(kb('Size') >= 8 * 1024, `mapping size ${kb('Size')} kB`);
    t.equal(kb('Rss'), kb('Size'), 'every page is resident before any request touched it');
  });

  t.test(`${mode}: an app that throws at import halts with exit code 3`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(APPS, 'throws.js'), ...base, '--workers', '2'], { ready: null });
    const { code } = await p.exited;
    t.equal(code, 3);
    t.match(p.output(), /probe app refuses to boot: missing FOO_CONFIG/, "the app's error is logged");
    t.match(p.output(), /halting/);
  });

  for (const [app, kind] of [['listener.js', 'listener'], ['fetch.mjs', 'fetch'], ['server.js', 'server'], ['self-listen.js', 'self-listen']] as const) {
    t.test(`${mode}: app contract '${kind}'`, opts, async t => {
      const p = await startPrefork(t, ['start', path.join(ROOT, 'examples', 'contracts', app), ...base, '--workers', '2']);
      const r = await get(p.port, '/hello', kind === 'fetch' ? { method: 'POST', body: 'ping' } : {});
      t.equal(r.status, 200);
      const body = JSON.parse(r.body);
      t.equal(body.kind, kind);
      if (kind === 'fetch') {
        t.equal(body.path, '/hello');
        t.equal(body.body, 'ping');
        t.equal(r.headers['x-app'], 'fetch');
      }
    });
  }

  t.test(`${mode}: an app that exports nothing and never listens is a boot error that says so`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(APPS, 'nothing.js'), ...base, '--workers', '1'], { ready: null });
    t.equal((await p.exited).code, 3);
    t.match(p.output(), /exported no request listener, fetch handler or http\.Server, and did not call listen\(\)/);
  });

  t.test(`${mode}: a missing app file is a clear error`, opts, async t => {
    const p = await startPrefork(t, ['start', path.join(os.tmpdir(), 'no-such-app.js'), ...base], { ready: null });
    const { code } = await p.exited;
    t.equal(code, 66);
    t.match(p.output(), /no-such-app\.js: no such file/);
  });
}
