// The node:cluster way to reload (what Node's docs and most blog posts describe): on SIGHUP fork fresh workers, wait
// until they listen, then disconnect the old ones (server.close() in each). bench/reload.js counts what it drops.
const cluster = require('node:cluster');
const http = require('node:http');

const port = Number(process.env.PORT ?? 0);
const workers = Number(process.env.WORKERS ?? 2);

if (cluster.isPrimary) {
  const spawn = () => Array.from({ length: workers }, () => cluster.fork());
  let current = spawn();
  let listening = 0;
  cluster.on('listening', (w, address) => {
    listening++;
    if (listening === workers) process.stderr.write(`ready on ${address.port}\n`);
  });
  process.on('SIGHUP', () => {
    const old = current;
    const fresh = spawn();
    let up = 0;
    for (const w of fresh) {
      w.once('listening', () => {
        if (++up === fresh.length) {
          for (const o of old) o.disconnect();
          process.stderr.write('reloaded\n');
        }
      });
    }
    current = fresh;
  });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    process.exit(0);
  });
} else {
  http.createServer((req, res) => res.end(JSON.stringify({ pid: process.pid }))).listen(port, '127.0.0.1');
}
