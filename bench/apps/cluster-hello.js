// The node:cluster baseline for `npm run bench`: a primary that forks N workers serving bench/apps/hello.js, the
// same handler prefork serves, with Node's default scheduling (round-robin through the primary on Linux).
//
//   node bench/apps/cluster-hello.js [--workers 2] [--port 0]
//
// Prints `listening on 127.0.0.1:PORT` and then `ready: N workers (pids …)` once every worker listens.
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');
const hello = require('./hello.js');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got '${process.argv[i + 1]}'`);
  return n;
}

if (cluster.isPrimary) {
  const workers = option('workers', 2);
  const port = option('port', 0);
  let listening = 0;
  cluster.on('listening', (worker, address) => {
    if (++listening === 1) console.log(`listening on 127.0.0.1:${address.port}`);
    if (listening === workers) console.log(`ready: ${workers} workers (pids ${Object.values(cluster.workers).map(w => w.process.pid).join(', ')})`);
  });
  // a benchmark baseline: a worker that dies is a failed run, not something to hide by respawning
  cluster.on('exit', (worker, code, signal) => {
    console.error(`worker ${worker.process.pid} exited with ${signal ?? `code ${code}`}`);
    process.exitCode = 1;
  });
  for (let i = 0; i < workers; i++) cluster.fork({ CLUSTER_HELLO_PORT: String(port) });
} else {
  http.createServer(hello).listen(Number(process.env.CLUSTER_HELLO_PORT), '127.0.0.1');
}
