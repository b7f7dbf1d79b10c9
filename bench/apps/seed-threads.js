// bench/seed.js's worker_threads + SharedArrayBuffer row. Forked by the bench (under its --node), this host process
// reads FILE once into a SharedArrayBuffer and says {t:'loaded'}; on {t:'spawn', n} it starts n threads over that
// buffer and says {t:'ready'} once all are running; {t:'go', k, kernel, lo, hi} goes to thread k, whose
// {t:'sum', sum, ms} comes back; {t:'terminate'} ends the threads ({t:'terminated'}).
'use strict';
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { sumParam } = require('./seed-kernel.js');

if (isMainThread) {
  const [file, bytes] = [process.argv[2], Number(process.argv[3])];
  const t0 = performance.now();
  const sab = new SharedArrayBuffer(bytes);
  const u8 = new Uint8Array(sab);
  const fd = fs.openSync(file, 'r');
  for (let off = 0; off < bytes; ) {
    const n = fs.readSync(fd, u8, off, Math.min(bytes - off, 64 << 20), off);
    if (n <= 0) throw new Error(`seed-threads.js: ${file}: short read at ${off}`);
    off += n;
  }
  fs.closeSync(fd);
  let threads = [];
  process.on('message', m => {
    if (m.t === 'spawn') {
      let ready = 0;
      threads = Array.from({ length: m.n }, (_, k) => {
        const w = new Worker(__filename, { workerData: { sab } });
        w.on('message', r => {
          if (r.t === 'ready') {
            if (++ready === m.n) process.send({ t: 'ready' });
          } else process.send({ ...r, k });
        });
        w.on('error', e => {
          process.send({ t: 'error', message: String(e?.stack ?? e) });
        });
        return w;
      });
    } else if (m.t === 'go') threads[m.k].postMessage(m);
    else if (m.t === 'terminate') Promise.all(threads.map(w => w.terminate())).then(() => process.send({ t: 'terminated' }));
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ t: 'loaded', ms: performance.now() - t0 });
} else {
  const big = new Float64Array(workerData.sab); // module level (of the thread)
  parentPort.on('message', m => {
    const { lo, hi } = m;
    const t = performance.now();
    let sum;
    if (m.kernel === 'param') sum = sumParam(big, lo, hi);
    else {
      sum = 0;
      for (let i = lo; i < hi; i++) sum += big[i];
    }
    parentPort.postMessage({ t: 'sum', sum, ms: performance.now() - t, pid: process.pid });
  });
  parentPort.postMessage({ t: 'ready' });
}
