// A real memory cgroup for tests (v1 or v2, as the machine has), made below this process's own cgroup: the tests
// start prefork inside it to see what a memory limit (systemd's MemoryMax=, a Kubernetes limit) does. Only root can
// make one; elsewhere the tests that need it skip, saying why. Teardown kills whatever is left inside and removes it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ownCgroup } from '../../src/supervisor/memory';
import { sleep } from './prefork';

export interface MemoryCgroup {
  dir: string;
  version: 1 | 2;
  /** The file a process writes its pid to, to move into the cgroup. */
  procs: string;
}

/** Why no memory cgroup can be made here, or undefined when one can. */
export function cgroupUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create a memory cgroup (CI runs as root)';
  const own = ownCgroup();
  if (!own) return 'this machine has no memory cgroup controller mounted';
  try {
    fs.accessSync(own.dir, fs.constants.W_OK);
  } catch {
    return `cannot write to this process's memory cgroup ${own.dir}`;
  }
  return undefined;
}

let made = 0;

/** Makes a memory cgroup limited to `limit` bytes (and no swap), removed in teardown. */
export function memoryCgroup(t: { teardown(fn: () => Promise<void>): void }, limit: number): MemoryCgroup {
  const own = ownCgroup();
  if (!own) throw new Error('no memory cgroup controller');
  const dir = path.join(own.dir, `prefork-test-${process.pid}-${++made}`);
  fs.mkdirSync(dir);
  const cg: MemoryCgroup = { dir, version: own.version, procs: path.join(dir, 'cgroup.procs') };
  t.teardown(() => removeCgroup(cg));
  if (own.version === 2) {
    fs.writeFileSync(path.join(dir, 'memory.max'), `${limit}\n`);
    if (fs.existsSync(path.join(dir, 'memory.swap.max'))) fs.writeFileSync(path.join(dir, 'memory.swap.max'), '0\n');
  } else {
    fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), `${limit}\n`);
    const memsw = path.join(dir, 'memory.memsw.limit_in_bytes');
    if (fs.existsSync(memsw)) fs.writeFileSync(memsw, `${limit}\n`);
  }
  return cg;
}

/** The pids in the cgroup. */
export function cgroupPids(cg: MemoryCgroup): number[] {
  return fs.readFileSync(cg.procs, 'utf8').split('\n').filter(Boolean).map(Number);
}

/** How many processes the OOM killer killed in the cgroup. */
export function cgroupOomKills(cg: MemoryCgroup): number {
  const text = fs.readFileSync(path.join(cg.dir, cg.version === 2 ? 'memory.events' : 'memory.oom_control'), 'utf8');
  return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
}

async function removeCgroup(cg: MemoryCgroup): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pids = cgroupPids(cg);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(50);
  }
  fs.rmdirSync(cg.dir);
}
