// The memory check before a generation loads (src/supervisor/load-datasets.ts): what a generation needs, computed
// from the files' headers alone, against a budget, with a message that names every number.
import * as path from 'node:path';
import t from 'tap';
import { isPreforkError } from '../../src/errors';
import { checkFits, generationNeeds } from '../../src/supervisor/load-datasets';
import type { MemoryBudget } from '../../src/supervisor/memory';
import { formatBytes, memoryBudget } from '../../src/supervisor/memory';
import { FIXTURES } from '../helpers/build';

const MiB = 1 << 20;
const budget = (headroom: number, cgroupRoom?: number): MemoryBudget => ({
  cgroup: cgroupRoom === undefined ? undefined : { version: 2, dir: '/sys/fs/cgroup/x', limit: 512 * MiB, used: 512 * MiB - cgroupRoom },
  memAvailable: cgroupRoom === undefined ? headroom : 20e9,
  headroom,
});

function failure(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    if (isPreforkError(e) && e.code === 'PREFORK_NO_MEMORY') return e.message;
    throw e;
  }
  return '';
}

t.test('a generation needs its memfds (from the headers) and room for its processes', async t => {
  const shares = [{ name: 'v', path: path.join(FIXTURES, 'f64_vector.npy') }];
  const fork = generationNeeds(shares, 2, 'fork');
  t.ok(fork.datasets >= 8000 && fork.datasets % 4096 === 0, `the memfd: 8000 bytes of data, page-rounded with its header (${fork.datasets})`);
  t.equal(fork.processes, 48 * MiB + 2 * 16 * MiB, 'a zygote and two forked workers');
  t.match(generationNeeds(shares, 2, 'exec'), { processes: 2 * 48 * MiB, processLabel: 'workers' }, 'exec mode: no zygote, but each worker is a whole node');
  t.same(generationNeeds([], 1, 'fork').datasets, 0);
});

t.test('what does not fit is refused, naming the numbers and where the limit comes from', async t => {
  const needs = { datasets: 600e6, processes: 80 * MiB, processLabel: 'zygote and workers' };
  t.equal(failure(() => checkFits(2, needs, 0, budget(800e6))), '', 'fits in 800 MB');
  t.equal(
    failure(() => checkFits(2, needs, 0, budget(300e6, 300e6))),
    'generation 2 needs 683.9 MB (datasets 600.0 MB, zygote and workers 83.9 MB); the service may use 300.0 MB more under its memory limit (512.0 MiB)',
  );
  t.equal(
    failure(() => checkFits(3, needs, 0, budget(100e6))),
    'generation 3 needs 683.9 MB (datasets 600.0 MB, zygote and workers 83.9 MB); the machine has 100.0 MB available (MemAvailable)',
  );
  t.equal(failure(() => checkFits(2, needs, 500e6, budget(300e6, 300e6))), '', 'what the serving generation frees first counts (replace)');
  t.match(failure(() => checkFits(2, needs, 100e6, budget(300e6, 300e6))), /may use 400\.0 MB more .*, counting the 100\.0 MB the serving generation frees first$/);
});

t.test('the live budget is no more than MemAvailable', async t => {
  const b = memoryBudget();
  t.ok(b.headroom > 0 && b.headroom <= b.memAvailable, `headroom ${formatBytes(b.headroom)} of ${formatBytes(b.memAvailable)} available`);
  if (b.cgroup) t.ok(b.cgroup.limit > 0 && b.cgroup.used >= 0, `memory cgroup ${b.cgroup.dir} limit ${formatBytes(b.cgroup.limit, true)}`);
  t.equal(formatBytes(512 * MiB, true), '512.0 MiB');
  t.equal(formatBytes(3.2e9), '3.2 GB');
  t.equal(formatBytes(999), '999 B');
});
