// bench/seed.js: the summing kernel written as a function over a parameter (the `kernel=param` variant). The
// `natural` variant is the same loop written inline in each handler over the module-level array (seed-sum.js,
// seed-cow.js, seed-child.js, seed-threads.js), as an app would write it.
'use strict';

function sumParam(arr, lo, hi) {
  let s = 0;
  for (let i = lo; i < hi; i++) s += arr[i];
  return s;
}

/** Slice `part` of `of` equal slices of `n` elements: [lo, hi). The same split in every row (and in seed.py). */
function slice(n, part, of) {
  return [Math.floor((part * n) / of), Math.floor(((part + 1) * n) / of)];
}

/**
 * The prefork rows' request listener over `big` (seed-sum.js: the shared dataset; seed-cow.js: a heap array): the
 * natural loop reads `big` from its closure, as a handler reads a module-level array.
 */
function sumHandler(big) {
  const { performance } = require('node:perf_hooks');
  return (req, res) => {
    const q = new URL(req.url, 'http://x').searchParams;
    res.setHeader('content-type', 'application/json');
    if (q.has('whoami')) return res.end(JSON.stringify({ pid: process.pid }));
    const [lo, hi] = slice(big.length, Number(q.get('part')), Number(q.get('of')));
    const t = performance.now();
    const c = process.cpuUsage();
    let sum;
    if (q.get('kernel') === 'param') sum = sumParam(big, lo, hi);
    else {
      sum = 0;
      for (let i = lo; i < hi; i++) sum += big[i];
    }
    const ms = performance.now() - t;
    const used = process.cpuUsage(c);
    res.end(JSON.stringify({ sum, pid: process.pid, ms, cpuMs: (used.user + used.system) / 1000 }));
  };
}

module.exports = { sumParam, slice, sumHandler };
