// Loads every --share file of one generation into sealed memfds, one after the other, logging each. Before the first
// byte is copied it checks that the whole generation fits in the memory the service may still use (memory.ts), so a
// reload that cannot fit fails closed instead of waking the OOM killer; on any failure (or abort) it closes what it
// had loaded and rethrows, so a failed generation holds no memory.
import { performance } from 'node:perf_hooks';
import type { SharedDataset } from '../datasets/load';
import * as fs from 'node:fs';
import { adoptDataset, datasetFootprint, loadDataset } from '../datasets/load';
import type { ShareSpec } from '../datasets/spec';
import { PreforkError } from '../errors';
import * as log from './log';
import { formatBytes, memoryBudget, type MemoryBudget } from './memory';
import { LoadReporter } from './progress';
import type { LoadProgress } from './service-manager';

const MiB = 1 << 20;
/**
 * Memory a generation takes besides its datasets: a zygote (node --single-threaded with prefork's runtime, ~40 MB
 * resident) and its workers (forked: the pages they dirty, ~5 MB idle, more under load; exec'd: a whole node each).
 */
const ZYGOTE_BYTES = 48 * MiB;
const WORKER_BYTES = { fork: 16 * MiB, exec: 48 * MiB } as const;

export interface GenerationNeeds {
  datasets: number;
  processes: number;
  /** What the processes are: 'zygote and workers' (fork mode) or 'workers'. */
  processLabel: string;
}

/** What generation `shares` will take: its memfds (from the files' headers) and its processes. */
export function generationNeeds(shares: readonly ShareSpec[], workers: number, mode: 'fork' | 'exec'): GenerationNeeds {
  const datasets = shares.reduce((n, spec) => n + datasetFootprint(spec), 0);
  const processLabel = mode === 'fork' ? 'zygote and workers' : 'workers';
  return { datasets, processes: (mode === 'fork' ? ZYGOTE_BYTES : 0) + workers * WORKER_BYTES[mode], processLabel };
}

/** Where the memory comes from, in words: the cgroup's limit or the machine's MemAvailable. */
export function describeRoom(budget: MemoryBudget, headroom: number): string {
  const { cgroup } = budget;
  return cgroup && cgroup.limit - cgroup.used <= budget.memAvailable
    ? `the service may use ${formatBytes(headroom)} more under its memory limit (${formatBytes(cgroup.limit, true)})`
    : `the machine has ${formatBytes(headroom)} available (MemAvailable)`;
}

/**
 * Throws PREFORK_NO_MEMORY unless `needs` fits; `freed` is what another generation releases before this one loads
 * (--reload-strategy replace).
 */
export function checkFits(generation: number, needs: GenerationNeeds, freed = 0, budget = memoryBudget()): void {
  const total = needs.datasets + needs.processes;
  const headroom = budget.headroom + freed;
  if (total <= headroom) return;
  const parts = `datasets ${formatBytes(needs.datasets)}, ${needs.processLabel} ${formatBytes(needs.processes)}`;
  const counting = freed > 0 ? `, counting the ${formatBytes(freed)} the serving generation frees first` : '';
  throw new PreforkError('PREFORK_NO_MEMORY', `generation ${generation} needs ${formatBytes(total)} (${parts}); ${describeRoom(budget, headroom)}${counting}`);
}

/** checkFits as a value: the PREFORK_NO_MEMORY error, or undefined when it fits. */
export function fitsAfter(generation: number, needs: GenerationNeeds, freed: number): unknown {
  try {
    checkFits(generation, needs, freed);
    return undefined;
  } catch (e) {
    return e;
  }
}

/**
 * --reload-strategy replace, before a queued generation loads: 'retire' the serving one first (if the queued one fits
 * in what it frees, else the PREFORK_NO_MEMORY error), 'wait' while a released generation's memory is not free yet,
 * else 'begin'.
 */
export function replaceStep(queued: number, needs: () => GenerationNeeds, servingBytes: number | undefined, othersHoldMemory: boolean): 'begin' | 'wait' | 'retire' | { refused: unknown } {
  if (servingBytes !== undefined) {
    let refused: unknown;
    try {
      // the needs come from the files' headers: a malformed one fails the generation here, as its load would
      refused = fitsAfter(queued, needs(), servingBytes);
    } catch (e) {
      refused = e;
    }
    return refused ? { refused } : 'retire';
  }
  return othersHoldMemory ? 'wait' : 'begin';
}

export interface LoadPlan {
  shares: ShareSpec[];
  generation: number;
  workers: number;
  mode: 'fork' | 'exec';
  signal?: AbortSignal;
  /** Told how far the load has got (the service manager's EXTEND_TIMEOUT_USEC and STATUS=). */
  onProgress?: (p: LoadProgress) => void;
  /** Memfds handed over by an upgraded supervisor: adopted where they hold a spec's file as it is, else closed. */
  inherited?: readonly { fd: number; name: string }[];
}

export async function loadGenerationDatasets(plan: LoadPlan): Promise<SharedDataset[]> {
  const { shares, inherited = [] } = plan;
  const adopted = adoptInherited(shares, inherited);
  try {
    return await loadRest(shares, adopted, plan);
  } catch (error) {
    for (const d of adopted.values()) d.close();
    throw error;
  }
}

/** The inherited memfds that hold a spec's file as it is now, by name; every other inherited fd is closed. */
function adoptInherited(shares: readonly ShareSpec[], inherited: readonly { fd: number; name: string }[]): Map<string, SharedDataset> {
  const adopted = new Map<string, SharedDataset>();
  for (const { fd, name } of inherited) {
    const spec = shares.find(s => s.name === name);
    let d: SharedDataset | undefined;
    try {
      d = spec ? adoptDataset(fd, spec) : undefined;
    } catch {
      d = undefined; // not a dataset memfd after all: load the file
    }
    if (!d || !spec) {
      fs.closeSync(fd);
      continue;
    }
    adopted.set(name, d);
    const mb = d.header.arrays.reduce((n, a) => n + a.byteLength, 0) / 1e6;
    log.info(`dataset '${name}' inherited from the supervisor being upgraded: ${d.header.arrays.length} array(s), ${mb.toFixed(1)} MB from ${spec.path}, not loaded again`);
  }
  return adopted;
}

/** Loads the specs not adopted, in their order, beside the adopted ones. */
async function loadRest(shares: readonly ShareSpec[], adopted: Map<string, SharedDataset>, plan: LoadPlan): Promise<SharedDataset[]> {
  const { generation, workers, mode, signal, onProgress } = plan;
  const toLoad = shares.filter(s => !adopted.has(s.name));
  const needs = generationNeeds(toLoad, workers, mode);
  checkFits(generation, needs);
  const t0 = performance.now();
  const loaded: SharedDataset[] = [];
  const reporter = new LoadReporter(generation, needs.datasets, onProgress);
  let before = 0; // bytes of the datasets already loaded
  try {
    for (const spec of toLoad) {
      const t1 = performance.now();
      const d = await loadDataset(spec, { generation, ...(signal ? { signal } : {}), onProgress: done => reporter.update(before + done) });
      before += d.header.size;
      loaded.push(d);
      const mb = d.header.arrays.reduce((n, a) => n + a.byteLength, 0) / 1e6;
      log.info(`dataset '${d.name}' loaded from ${spec.path}: ${d.header.arrays.length} array(s), ${mb.toFixed(1)} MB in ${(performance.now() - t1).toFixed(0)} ms`);
    }
  } catch (error) {
    for (const d of loaded) d.close();
    throw error;
  } finally {
    reporter.end();
  }
  if (toLoad.length) log.info(`generation ${generation}: datasets ready in ${(performance.now() - t0).toFixed(0)} ms`);
  return shares.map(s => adopted.get(s.name) ?? (loaded.find(d => d.name === s.name) as SharedDataset));
}
