// bench/hot-loop.js's worker_threads reference: the same two scans as bench/apps/hot-loop.js over a
// SharedArrayBuffer (workerData), the array taken at module level; each message {kind} is answered with {ms, cpu}.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

const v = new Float64Array(workerData);

function scanParam(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function natural() {
  const t0 = process.hrtime.bigint();
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return { s, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

function param() {
  const t0 = process.hrtime.bigint();
  const s = scanParam(v);
  return { s, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

parentPort.on('message', kind => parentPort.postMessage(kind === 'param' ? param() : natural()));
