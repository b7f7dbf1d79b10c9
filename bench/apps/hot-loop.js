// bench/hot-loop.js's app: scans a float64 array the natural way, the array taken once at module level and the loop
// written in the handler (GET /), or through a function that takes the array as a parameter (GET /param). Each
// response is {"s": sum, "ms": wall time of the scan (process.hrtime), "cpu": CPU time of the process during it}.
// Under prefork the array is dataset 'big'; with HOT_LOOP_FILE set (the plain-node baseline) it is that file read
// into a Float64Array, as a plain node app would do it.
'use strict';

function load() {
  const file = process.env.HOT_LOOP_FILE;
  if (!file) return require('prefork').dataset('big').array();
  const buf = require('node:fs').readFileSync(file);
  return new Float64Array(buf.buffer, buf.byteOffset, buf.length / 8);
}

const v = load();

function scanParam(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function reply(res, s, t0, c0) {
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cu = process.cpuUsage(c0);
  const body = JSON.stringify({ s, ms, cpu: (cu.user + cu.system) / 1000 });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

module.exports = function hotLoop(req, res) {
  if (req.url === '/param') {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const s = scanParam(v);
    reply(res, s, t0, c0);
    return;
  }
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  reply(res, s, t0, c0);
};
