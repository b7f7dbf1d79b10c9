// bench/seed.js's prefork app: sums slice `?part=k&of=N` of the shared float64 dataset 'big' and answers
// {"sum","pid","ms"}; `?kernel=param` calls the kernel as a function over a parameter instead of the inline loop;
// `?whoami` answers the pid only (the bench uses it to hold one keep-alive connection per worker).
'use strict';
const { performance } = require('node:perf_hooks');
const { dataset } = require('prefork');
const { sumParam, slice } = require('./seed-kernel.js');

const big = dataset('big').array(); // module level: a Float64Array over the shared memfd, no copy
if (!(big instanceof Float64Array)) throw new Error("seed-sum.js: share the file as big=PATH:f64");

module.exports = (req, res) => {
  const q = new URL(req.url, 'http://x').searchParams;
  res.setHeader('content-type', 'application/json');
  if (q.has('whoami')) return res.end(JSON.stringify({ pid: process.pid }));
  const [lo, hi] = slice(big.length, Number(q.get('part')), Number(q.get('of')));
  const t = performance.now();
  let sum;
  if (q.get('kernel') === 'param') sum = sumParam(big, lo, hi);
  else {
    sum = 0;
    for (let i = lo; i < hi; i++) sum += big[i];
  }
  res.end(JSON.stringify({ sum, pid: process.pid, ms: performance.now() - t }));
};
