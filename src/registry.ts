// The process-global table of attached datasets. It hangs off globalThis under a Symbol.for key so that every copy of
// this package in one process (the CLI's, the app's own node_modules, ESM beside CJS) sees the same datasets.
import type { DatasetHandle } from './datasets/handle';

export interface Registry {
  generation: number;
  datasets: Map<string, DatasetHandle>;
  /** Set by the worker runtime; undefined in a process prefork did not start. */
  role: 'worker' | 'zygote' | 'supervisor' | undefined;
}

const KEY = Symbol.for('prefork.registry.v1');

/** The one registry of this process, created on first use. */
export function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry };
  g[KEY] ??= { generation: 0, datasets: new Map(), role: undefined };
  return g[KEY];
}
