// The process-global table of attached datasets. It hangs off globalThis under a Symbol.for key so that every copy of
// this package in one process (the CLI's, the app's own node_modules, ESM beside CJS) sees the same datasets.
import type { DatasetHandle } from './datasets/handle';

export interface Registry {
  generation: number;
  datasets: Map<string, DatasetHandle>;
}

const KEY = Symbol.for('prefork.registry.v1');

/** The one registry of this process, created on first use. */
export function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry };
  g[KEY] ??= { generation: 0, datasets: new Map() };
  return g[KEY];
}
