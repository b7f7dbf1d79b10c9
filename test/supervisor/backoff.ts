// Respawn backoff (src/supervisor/backoff.ts): delays double while workers keep dying, cap at 10 s, forget exits
// older than a minute, and start afresh after a worker that had run 30 s.
import t from 'tap';
import { RespawnBackoff } from '../../src/supervisor/backoff';

t.test('delays double with each exit in the window, up to 10 s', async t => {
  const b = new RespawnBackoff();
  const delays = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(i => b.exited(1000 + i));
  t.same(delays, [0, 100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
  t.notOk(b.allows(1100), 'no start during the delay');
  t.ok(b.allows(1009 + 10_000), 'a start after it');
});

t.test('exits older than a minute no longer count', async t => {
  const b = new RespawnBackoff();
  b.exited(0);
  b.exited(1);
  t.equal(b.exited(61_000), 0, 'the old two are forgotten');
});

t.test('a worker that had run 30 s starts the count afresh', async t => {
  const b = new RespawnBackoff();
  for (let i = 0; i < 5; i++) b.exited(i);
  t.equal(b.exited(10, 29_000), 1600, 'a short run still counts');
  t.equal(b.exited(20, 30_000), 0, 'a long run resets');
  t.ok(b.allows(20), 'and lifts the delay');
  t.equal(b.exited(30), 100, 'counting on from there');
});
