// bench/seed.js's child process (child_process.fork), one per worker:
//   node seed-child.js ipc                      the parent sends the slice itself ({t:'go', data: Float64Array}),
//                                               structured-cloned over the IPC channel (serialization: 'advanced')
//   node seed-child.js mmap FILE BYTES 0|1      maps FILE read-only with prefork's shim (dist/native.js), 1: and
//                                               pre-faults it (MADV_POPULATE_READ) before it says ready
// Messages: → {t:'go', kernel, lo, hi[, data]}; ← {t:'ready'} once, then {t:'sum', sum, ms, pid} per go.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { sumParam } = require('./seed-kernel.js');

const [mode, file, bytes, populate] = process.argv.slice(2);
let big; // module level, as an app would hold it

if (mode === 'mmap') {
  const { native } = require(path.join(__dirname, '..', '..', 'dist', 'native.js'));
  const fd = fs.openSync(file, 'r');
  const buffer = native().map(fd, Number(bytes), false);
  fs.closeSync(fd); // the mapping outlives the descriptor
  if (populate === '1') native().populate(buffer);
  big = new Float64Array(buffer);
} else if (mode !== 'ipc') {
  throw new Error(`seed-child.js: unknown mode '${mode}'`);
}

process.on('message', m => {
  if (m.t !== 'go') return;
  let lo = m.lo;
  let hi = m.hi;
  if (m.data !== undefined) {
    big = m.data;
    lo = 0;
    hi = big.length;
  }
  const t = performance.now();
  let sum;
  if (m.kernel === 'param') sum = sumParam(big, lo, hi);
  else {
    sum = 0;
    for (let i = lo; i < hi; i++) sum += big[i];
  }
  process.send({ t: 'sum', sum, ms: performance.now() - t, pid: process.pid });
});
process.on('disconnect', () => process.exit(0));
process.send({ t: 'ready' });
