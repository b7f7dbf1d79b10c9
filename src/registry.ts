// The process-global table of attached datasets. It hangs off globalThis under a Symbol.for key so that every copy of
// this package in one process (the CLI's, the app's own node_modules, ESM beside CJS) sees the same datasets.
import { isMainThread } from 'node:worker_threads';
import { attachDataset, type DatasetHandle } from './datasets/handle';

export interface Registry {
  generation: number;
  datasets: Map<string, DatasetHandle>;
}

const KEY = Symbol.for('prefork.registry.v1');

/**
 * What a worker tells the threads it starts (worker_threads copy process.env): the generation and each dataset's
 * memfd, which a thread maps for itself: the same pages, no copy.
 */
export const THREAD_DATASETS_ENV = '_PREFORK_THREAD_DATASETS';

/** The one registry of this process (or, in a worker thread, of this thread), created on first use. */
export function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry };
  g[KEY] ??= { generation: 0, datasets: new Map() };
  const text = process.env[THREAD_DATASETS_ENV];
  if (text && g[KEY].datasets.size === 0 && !isMainThread) {
    const shared = JSON.parse(text) as { generation: number; datasets: { name: string; fd: number }[] };
    g[KEY].generation = shared.generation;
    for (const d of shared.datasets) g[KEY].datasets.set(d.name, attachDataset(d.fd));
  }
  return g[KEY];
}
