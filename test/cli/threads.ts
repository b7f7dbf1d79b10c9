// What an app may do inside a forked worker (and an exec'd one): a worker_thread reads a shared dataset through its
// own mapping of the same memfd (no copy: the pages are shared, none private), and a child process the app spawns
// gets none of prefork's fds (listening sockets, dataset memfds, pipes), so it cannot hold a port or a generation's
// memory after the worker is gone.
import * as path from 'node:path';
import t from 'tap';
import { APPS, FIXTURES, getJson, MODE, startPrefork } from '../helpers/prefork';

interface Mapping {
  perms: string;
  inode: string;
}
interface ThreadAnswer {
  inThread: { sum: number; length: number; mappings: Mapping[] };
  inMain: { sum: number; length: number; mappings: Mapping[] };
}

t.test(`${MODE} mode: a worker_thread reads the dataset with no copy; a spawned child gets no prefork fd`, async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'threads.js'), '--share', `v=${path.join(FIXTURES, 'f64_vector.npy')}`, '--bind', '127.0.0.1:0', '--workers', '1']);
  const r = await getJson<ThreadAnswer>(p.port, '/thread');
  t.equal(r.inThread.length, 1000, 'the thread sees the 1000 elements');
  t.equal(r.inThread.sum, r.inMain.sum, `the same values (sum ${r.inMain.sum})`);
  const seen = r.inThread.mappings;
  t.ok(seen.length >= 2, `while the thread reads, the worker maps the memfd at least twice: the main thread's and the thread's own (${seen.length})`);
  t.ok(seen.every(m => m.perms === 'r--s'), `every mapping is shared and read-only: the same pages, nothing copied (${seen.map(m => m.perms).join(', ')})`);
  t.equal(new Set(seen.map(m => m.inode)).size, 1, 'all of the one memfd');
  const s = await getJson<{ fds: number[] }>(p.port, '/spawn');
  t.ok(s.fds.filter(fd => fd > 2).length <= 1, `the child has only stdio (and ls's own directory fd): ${s.fds.join(' ')}`);
});
