// How much memory the service may still use: the memory cgroup it runs in (v2 memory.max/memory.current, v1
// memory.limit_in_bytes/usage_in_bytes, found through /proc/self/cgroup and /proc/self/mountinfo; every ancestor
// counts, the tightest wins) and the machine's MemAvailable. Page cache the kernel can drop (inactive_file) is not
// counted as used, as Kubernetes' working set does not count it. Read fresh at every check: nothing here is cached.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Limits at or above this are "no limit" (v1 writes LONG_MAX rounded to a page). */
const UNLIMITED = 2 ** 60;

export interface CgroupMemory {
  version: 1 | 2;
  /** The cgroup directory whose limit is the tightest. */
  dir: string;
  limit: number;
  /** Charged bytes, less the reclaimable page cache. */
  used: number;
}

export interface MemoryBudget {
  /** The tightest memory cgroup with a limit, if any. */
  cgroup: CgroupMemory | undefined;
  memAvailable: number;
  /** Bytes the service may still allocate: the smaller of the cgroup's room and MemAvailable. */
  headroom: number;
}

const read = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** A `key value` file (memory.stat, /proc/meminfo) as numbers. */
function keyed(text: string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.split(/[:\s]+/);
    if (k && v !== undefined && /^\d+$/.test(v)) m.set(k, Number(v));
  }
  return m;
}

/** Where the memory controller of cgroup `version` is mounted, from /proc/self/mountinfo. */
function mountOf(version: 1 | 2): string | undefined {
  for (const line of (read('/proc/self/mountinfo') ?? '').split('\n')) {
    const [pre, post] = line.split(' - ');
    const fields = pre?.split(' ');
    const [fstype, , options] = post?.split(' ') ?? [];
    const mountPoint = fields?.[4];
    if (mountPoint === undefined) continue;
    if (version === 2 && fstype === 'cgroup2') return mountPoint;
    if (version === 1 && fstype === 'cgroup' && options?.split(',').includes('memory')) return mountPoint;
  }
  return undefined;
}

/** This process's memory cgroup directory and its version (v1's memory line wins on hybrid systems). */
export function ownCgroup(): { version: 1 | 2; dir: string } | undefined {
  const lines = (read('/proc/self/cgroup') ?? '').split('\n');
  const v1 = lines.map(l => /^\d+:([^:]*):(.*)$/.exec(l)).find(m => m?.[1]?.split(',').includes('memory'));
  const v1Mount = v1 ? mountOf(1) : undefined;
  if (v1 && v1Mount) return { version: 1, dir: path.join(v1Mount, v1[2] ?? '/') };
  const v2 = lines.map(l => /^0::(.*)$/.exec(l)).find(Boolean);
  const v2Mount = v2 ? mountOf(2) : undefined;
  if (v2 && v2Mount && fs.existsSync(path.join(v2Mount, v2[1] ?? '/', 'memory.current'))) return { version: 2, dir: path.join(v2Mount, v2[1] ?? '/') };
  return undefined;
}

/** One cgroup level's limit and working set, or undefined where it sets no limit. */
function level(version: 1 | 2, dir: string): CgroupMemory | undefined {
  const [limitFile, usageFile, inactive] = version === 2 ? ['memory.max', 'memory.current', 'inactive_file'] : ['memory.limit_in_bytes', 'memory.usage_in_bytes', 'total_inactive_file'];
  const limit = Number(read(path.join(dir, limitFile))?.trim());
  const usage = Number(read(path.join(dir, usageFile))?.trim());
  if (!Number.isFinite(limit) || limit >= UNLIMITED || !Number.isFinite(usage)) return undefined;
  const reclaimable = keyed(read(path.join(dir, 'memory.stat'))).get(inactive) ?? 0;
  return { version, dir, limit, used: Math.max(0, usage - reclaimable) };
}

/** The tightest limit on the way from this process's cgroup up to the root. */
export function cgroupMemory(): CgroupMemory | undefined {
  const own = ownCgroup();
  if (!own) return undefined;
  const root = mountOf(own.version) ?? '/';
  let best: CgroupMemory | undefined;
  for (let dir = own.dir; ; dir = path.dirname(dir)) {
    const l = level(own.version, dir);
    if (l && (!best || l.limit - l.used < best.limit - best.used)) best = l;
    if (dir === root || dir === path.dirname(dir)) break;
  }
  return best;
}

/** What the service may still use, now. */
export function memoryBudget(): MemoryBudget {
  const cgroup = cgroupMemory();
  const memAvailable = (keyed(read('/proc/meminfo')).get('MemAvailable') ?? Number.MAX_SAFE_INTEGER / 1024) * 1024;
  const headroom = Math.max(0, Math.min(memAvailable, cgroup ? cgroup.limit - cgroup.used : Infinity));
  return { cgroup, memAvailable, headroom };
}

/** Processes the OOM killer has killed in the service's cgroup (or, outside one, on the machine), if the kernel says. */
export function oomKillCount(): number | undefined {
  const own = ownCgroup();
  if (own?.version === 2) return keyed(read(path.join(own.dir, 'memory.events'))).get('oom_kill');
  if (own?.version === 1) {
    const n = keyed(read(path.join(own.dir, 'memory.oom_control'))).get('oom_kill');
    if (n !== undefined) return n;
  }
  return keyed(read('/proc/vmstat')).get('oom_kill');
}

/**
 * A process's proportional memory from /proc/PID/smaps_rollup: its own (Pss_Anon, or Private_Dirty on kernels
 * without it) and its share of shared memory (Pss_Shmem); undefined fields when the process is gone. Never RSS: the
 * pages of a shared dataset a worker reads are in its RSS but are not its own.
 */
export function processMemory(pid: number): { privateBytes: number | undefined; sharedBytes: number | undefined } {
  const kb = keyed(read(`/proc/${pid}/smaps_rollup`));
  const bytes = (n: number | undefined) => (n === undefined ? undefined : n * 1024);
  return { privateBytes: bytes(kb.get('Pss_Anon') ?? kb.get('Private_Dirty')), sharedBytes: bytes(kb.get('Pss_Shmem')) };
}

/** Bytes as people read them: "3.2 GB", "512.0 MB" (decimal, like the issue reports); `binary` gives GiB/MiB. */
export function formatBytes(n: number, binary = false): string {
  const [k, units] = binary ? [1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB']] : [1000, ['B', 'kB', 'MB', 'GB', 'TB']];
  let i = 0;
  while (n >= k && i < units.length - 1) {
    n /= k;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i] ?? 'B'}`;
}
