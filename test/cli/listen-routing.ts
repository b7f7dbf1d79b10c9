// Every listen() goes where the app meant it (through the real CLI): the main server on PORT (which prefork sets to
// the first --bind's port) gets the --bind socket; an admin server on a port of its own listens for real in every
// worker (SO_REUSEPORT), is logged, and is closed by a graceful stop; an app that listens once, on any port, is served
// on the --bind socket.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { APPS, freePort, getJson, isAlive, ROOT, startPrefork, until } from '../helpers/prefork';

interface Answer {
  server: string;
  pid: number;
  port?: string;
}

t.test('a main server on PORT and an admin server on its own port', async t => {
  const admin = await freePort();
  const p = await startPrefork(t, ['start', path.join(APPS, 'two-servers.js'), '--bind', '127.0.0.1:0', '--workers', '2', '--env', `ADMIN_PORT=${admin}`]);
  const main = await getJson<Answer>(p.port);
  t.match(main, { server: 'main', port: String(p.port) }, 'the --bind port serves the main server, and PORT said that port');
  const pids = new Set<number>();
  for (let i = 0; i < 30; i++) {
    const a = await getJson<Answer>(admin);
    t.equal(a.server, 'admin');
    pids.add(a.pid);
  }
  const workers = [...p.output().matchAll(/worker 1\.\d started \(pid (\d+)\)/g)].map(m => Number(m[1]));
  t.ok([...pids].every(pid => workers.includes(pid)), `the admin port is served by the workers (${[...pids].join(', ')})`);
  t.match(p.output(), new RegExp(`the app's server on port ${admin} is not a --bind socket: it listens itself \\(SO_REUSEPORT\\)`), 'and logged');
  process.kill(p.pid, 'SIGTERM');
  t.equal((await p.exited).code, 0, 'a graceful stop closes both');
  t.ok(await until(() => workers.every(w => !isAlive(w)), 5000), 'every worker exited');
});

t.test('an app that listens once, on a port of its own choosing, is served on the --bind socket', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-listen-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const app = path.join(dir, 'app.js');
  fs.writeFileSync(app, "require('node:http').createServer((req, res) => res.end(JSON.stringify({ server: 'only', pid: process.pid }))).listen(3000);\n");
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'prefork'), 'dir');
  const p = await startPrefork(t, ['start', app, '--bind', '127.0.0.1:0', '--workers', '1']);
  t.equal((await getJson<Answer>(p.port)).server, 'only', 'listen(3000) got the --bind socket');
  t.notMatch(p.output(), /is not a --bind socket/, 'and is not a server of its own');
});
