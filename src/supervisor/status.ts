// The shape `prefork status --json` prints: a snapshot of the supervisor's tables, typed so scripts and the CLI's
// text form read the same fields.
import pidusage from 'pidusage';
import type { SupervisorConfig } from './config';
import type { Generation } from './generation';
import { generationNeeds } from './load-datasets';
import { hugePagePolicy } from '../datasets/hugepages';
import { memoryBudget, processMemory } from './memory';
import { FIELD, LISTENER_FIELDS, monotonicMs, slotOf } from '../scoreboard';
import type { GenerationState } from './generation-state';
import type { WorkerState } from './worker-state';

export interface WorkerStatus {
  slot: number;
  pid: number;
  state: WorkerState;
  /** From the scoreboard: requests it has served (counted when they start) and has in flight. */
  requests: number;
  inFlight: number;
  /** Connections it has accepted (over every listener) and has open. */
  connections: number;
  openConnections: number;
  /** Connections it accepted on each listener, in the order of `listeners` (null past the scoreboard's room). */
  accepted: (number | null)[];
  /** Milliseconds since its last heartbeat, or null before its first. */
  heartbeatAgeMs: number | null;
  /** Milliseconds since it started, or null before it wrote its slot. */
  ageMs: number | null;
  /** Filled for `prefork status` (null in metrics): private (Pss_Anon) and shared (Pss_Shmem) bytes, CPU % (pidusage). */
  privateBytes: number | null;
  sharedBytes: number | null;
  cpuPercent: number | null;
}

/** A dataset a generation holds: its name, the file it was loaded from, its memfd's bytes, huge pages or not. */
export interface DatasetStatus {
  name: string;
  file: string;
  bytes: number;
  hugePages: boolean;
}

export interface GenerationStatus {
  id: number;
  state: GenerationState;
  zygote: number | null;
  datasets: DatasetStatus[];
  workers: WorkerStatus[];
}

/** Memory, in bytes: what the datasets hold, what the service may still use, and what a reload would need. */
export interface MemoryStatus {
  /** Every generation's dataset memfds. */
  datasets: number;
  /** The tightest memory cgroup limit over the service, or null without one. */
  limit: number | null;
  /** What the service may still allocate (the cgroup's room, or MemAvailable if less). */
  headroom: number;
  strategy: 'overlap' | 'replace';
  /** What a reload of the same files must find free: overlap, their datasets again plus the new processes. */
  reloadNeeds: number;
}

/** A listening socket and the connections the workers accepted on it (the kernel spreads them unevenly). */
export interface ListenerStatus {
  label: string;
  /** Accepted by the workers listed now (a worker that has exited no longer counts). */
  accepted: number | null;
  /** Per worker: `GENERATION.SLOT` and how many it accepted. */
  workers: { worker: string; pid: number; accepted: number | null }[];
}

/** Sums over the workers listed. */
export interface Totals {
  workers: number;
  requests: number;
  inFlight: number;
  connections: number;
  openConnections: number;
  privateBytes: number | null;
  sharedBytes: number | null;
  cpuPercent: number | null;
}

export interface SupervisorStatus {
  pid: number;
  /** The generation that serves, if any. */
  generation: number | null;
  stopping: 'graceful' | 'quick' | null;
  /** Workers each generation should have (--workers, changed by scaling). */
  wanted: number;
  lastReloadError: string | null;
  listeners: ListenerStatus[];
  generations: GenerationStatus[];
  totals: Totals;
  memory: MemoryStatus;
  counters: Counters;
}

/** Why workers were replaced: died (crashed or killed), boot-failure, oom, timeout (hung), recycle. */
export type RestartCause = 'died' | 'boot-failure' | 'oom' | 'timeout' | 'recycle';

/** What has happened since start. */
export interface Counters {
  restarts: Record<RestartCause, number>;
  /** Swaps to a new generation that completed (generation 1 does not count). */
  reloads: number;
  /** Generations that failed to load or boot. */
  reloadFailures: number;
}

/** What the arbiter knows, for supervisorStatus. */
export interface SupervisorFacts {
  cfg: SupervisorConfig;
  generations: readonly Generation[];
  serving: Generation | undefined;
  board: Float64Array;
  stopping: 'graceful' | 'quick' | undefined;
  wanted: number;
  lastReloadError: string;
  counters: SupervisorStatus['counters'];
}

/** The snapshot `prefork status` prints and metrics serve (without usage: see withUsage). */
export function supervisorStatus(f: SupervisorFacts): SupervisorStatus {
  const generations = f.generations.map(g => generationStatus(g, f.board, f.cfg.listeners));
  return {
    pid: process.pid,
    generation: f.serving?.id ?? null,
    stopping: f.stopping ?? null,
    wanted: f.wanted,
    lastReloadError: f.lastReloadError || null,
    listeners: f.cfg.listeners.map((l, i) => listenerStatus(l.label, i, generations)),
    generations,
    totals: totalsOf(generations),
    memory: memoryStatus(f.generations, f.serving, f.cfg),
    counters: f.counters,
  };
}

function listenerStatus(label: string, index: number, generations: GenerationStatus[]): ListenerStatus {
  const workers = generations.flatMap(g => g.workers.map(w => ({ worker: `${g.id}.${w.slot}`, pid: w.pid, accepted: w.accepted[index] ?? null })));
  const accepted = index < LISTENER_FIELDS ? workers.reduce((n, w) => n + (w.accepted ?? 0), 0) : null;
  return { label, accepted, workers };
}

/** Adds up the workers' columns; a column with no known value is null. */
export function totalsOf(generations: readonly GenerationStatus[]): Totals {
  const ws = generations.flatMap(g => g.workers);
  const sum = (pick: (w: WorkerStatus) => number | null): number | null => {
    const known = ws.map(pick).filter((v): v is number => v !== null);
    return known.length ? known.reduce((a, b) => a + b, 0) : null;
  };
  const count = (pick: (w: WorkerStatus) => number) => ws.reduce((n, w) => n + pick(w), 0);
  return {
    workers: ws.length, requests: count(w => w.requests), inFlight: count(w => w.inFlight), connections: count(w => w.connections), openConnections: count(w => w.openConnections),
    privateBytes: sum(w => w.privateBytes), sharedBytes: sum(w => w.sharedBytes), cpuPercent: sum(w => w.cpuPercent),
  };
}

/** One generation's row. */
export function generationStatus(g: Generation, board: Float64Array, listeners: readonly unknown[]): GenerationStatus {
  const now = monotonicMs();
  return {
    id: g.id,
    state: g.state,
    zygote: g.zygotePid ?? null,
    datasets: g.datasets.map(d => ({ name: d.name, file: d.header.source.path, bytes: d.header.size, hugePages: hugePagePolicy().huge })),
    workers: [...g.workers.values()].map(w => {
      const score = slotOf(board, w.board);
      const beat = score[FIELD.heartbeat] ?? 0;
      const started = score[FIELD.startedAt] ?? 0;
      const accepted = listeners.map((_, i) => (i < LISTENER_FIELDS ? (score[FIELD.accepted + i] ?? 0) : null));
      return {
        slot: w.slot, pid: w.pid, state: w.state, requests: score[FIELD.requests] ?? 0, inFlight: score[FIELD.inFlight] ?? 0,
        connections: score[FIELD.connections] ?? 0, openConnections: score[FIELD.openConnections] ?? 0, accepted,
        heartbeatAgeMs: beat > 0 ? Math.round(now - beat) : null, ageMs: started > 0 ? Math.round(now - started) : null,
        privateBytes: null, sharedBytes: null, cpuPercent: null,
      };
    }),
  };
}

/** The memory numbers: what is held, what may still be used, what a reload of the same files needs. */
export function memoryStatus(generations: readonly Generation[], serving: Generation | undefined, cfg: SupervisorConfig): MemoryStatus {
  const budget = memoryBudget();
  const { processes } = generationNeeds([], cfg.workers, cfg.mode);
  return {
    datasets: generations.reduce((n, g) => n + g.datasetBytes(), 0),
    limit: budget.cgroup?.limit ?? null,
    headroom: budget.headroom,
    strategy: cfg.reloadStrategy,
    reloadNeeds: processes + (cfg.reloadStrategy === 'overlap' ? (serving?.datasetBytes() ?? 0) : 0),
  };
}

/** How long pidusage keeps a worker's history (and its open stat file) after the last look. */
const PIDUSAGE_MAXAGE_MS = 2000;

/** The status with each worker's memory and CPU % filled in (pidusage: since the previous look within 2 s, else since start). */
export async function withUsage(s: SupervisorStatus): Promise<SupervisorStatus> {
  const pids = s.generations.flatMap(g => g.workers.map(w => w.pid)).filter(p => p > 0);
  let cpu: Record<string, { cpu: number } | undefined> = {};
  try {
    // pidusage keeps each /proc/PID/stat open between looks; a short maxage closes those of gone workers soon
    // (its clear() would drop them without closing them)
    cpu = pids.length ? await pidusage(pids, { maxage: PIDUSAGE_MAXAGE_MS }) : {};
  } catch {
    // a worker exited between the snapshot and the look: report what is known
  }
  for (const g of s.generations) {
    for (const w of g.workers) {
      if (w.pid <= 0) continue;
      const { privateBytes, sharedBytes } = processMemory(w.pid);
      Object.assign(w, { privateBytes: privateBytes ?? null, sharedBytes: sharedBytes ?? null, cpuPercent: cpu[String(w.pid)]?.cpu ?? null });
    }
  }
  s.totals = totalsOf(s.generations);
  return s;
}
