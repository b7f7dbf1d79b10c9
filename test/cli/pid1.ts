// prefork as PID 1 of a new PID namespace (a container's init: `unshare --pid --fork --mount-proc`): it serves, reaps
// an orphaned grandchild the app leaves behind (no zombie stays), and stops on SIGTERM, which PID 1 gets with no
// default action.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { APPS, descendants, getJson, startPrefork, until } from '../helpers/prefork';
import { haveTools, needs } from '../helpers/tools';

const asRoot = process.getuid?.() === 0;

/** The host pid of the process that is PID 1 in the namespace unshare made (its only child). */
const nsInit = (unsharePid: number) => descendants(unsharePid)[0] ?? 0;

const state = (pid: number) => {
  try {
    return /^\d+ \(.*\) (\S)/s.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '';
  } catch {
    return 'gone';
  }
};

t.test('prefork as PID 1: serves, reaps an orphaned grandchild, stops on SIGTERM', { ...needs('unshare'), ...(asRoot ? {} : { skip: 'a PID namespace needs root here' }) }, async t => {
  if (!haveTools(t, 'unshare')) return;
  const p = await startPrefork(t, ['start', path.join(APPS, 'orphans.js'), '--bind', '127.0.0.1:0', '--workers', '1'], {
    wrap: ['unshare', '--pid', '--fork', '--mount-proc'],
  });
  const init = nsInit(p.pid);
  t.match(fs.readFileSync(`/proc/${init}/status`, 'utf8'), /^NSpid:\s+\d+\s+1$/m, `the supervisor (host pid ${init}) is PID 1 in its namespace`);
  const r = await getJson<{ orphan: number }>(p.port, '/orphan');
  t.ok(r.orphan > 0, `the app left an orphan (pid ${r.orphan} in the namespace)`);
  // find the orphan's host pid: a sleep whose parent is the supervisor
  let orphan = 0;
  const cmdline = (pid: number) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  await until(() => {
    orphan = descendants(init).find(pid => cmdline(pid).startsWith('sleep')) ?? 0;
    return orphan > 0;
  }, 2000, 5);
  t.ok(orphan > 0, `the orphan found among the supervisor's children (host pid ${orphan}; ${descendants(init).map(d => `${d}:${cmdline(d).split('\0')[0]}`).join(' ')})`);
  t.equal(Number(/^\d+ \(.*\) \S (\d+)/s.exec(fs.readFileSync(`/proc/${orphan}/stat`, 'utf8'))?.[1]), init, 'it was re-parented to PID 1: prefork');
  t.ok(await until(() => state(orphan) === 'gone', 5000), 'and once it ended, prefork reaped it: no zombie left');
  t.equal((await getJson<{ pid: number }>(p.port)).pid > 0, true, 'still serving');
  process.kill(init, 'SIGTERM');
  t.ok(await until(() => state(init) === 'gone' || state(init) === 'Z', 10_000), 'SIGTERM stops PID 1');
  t.equal((await p.exited).code, 0, 'and unshare reports a clean exit');
});
