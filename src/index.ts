// The worker API: what an app imports from 'prefork' to read its shared datasets.
import { attachDataset, DatasetHandle } from './datasets/handle';
import { PreforkError } from './errors';
import { registry } from './registry';

export { DatasetHandle } from './datasets/handle';
export type { ArrayMeta } from './datasets/handle';
export type { AnyTypedArray, DType, TypedArrayFor } from './datasets/dtypes';
export { PreforkError, isPreforkError } from './errors';
export type { PreforkErrorCode } from './errors';

/**
 * Attaches the datasets named in _PREFORK_DATASETS ("name=fd,…") once, for processes that inherit dataset fds without
 * going through the zygote (exec-mode workers, or any child the app spawns with those fds).
 */
function attachFromEnv(): void {
  const reg = registry();
  const spec = process.env._PREFORK_DATASETS;
  if (reg.datasets.size > 0 || !spec) return;
  for (const part of spec.split(',')) {
    const m = /^(.+)=(\d+)$/.exec(part);
    if (!m) continue;
    const handle = attachDataset(Number(m[2]));
    reg.datasets.set(m[1] ?? handle.name, handle);
    reg.generation = handle.generation;
  }
}

/** The dataset shared under `name`; throws PREFORK_NO_DATASET listing the names that exist. */
export function dataset(name: string): DatasetHandle {
  attachFromEnv();
  const d = registry().datasets.get(name);
  if (d === undefined) {
    const names = datasets();
    throw new PreforkError(
      'PREFORK_NO_DATASET',
      `no dataset '${name}'; ${names.length ? `shared datasets: ${names.map(n => `'${n}'`).join(', ')}` : 'no datasets are shared with this process'}`,
    );
  }
  return d;
}

/** Names of every dataset shared with this process. */
export function datasets(): string[] {
  attachFromEnv();
  return [...registry().datasets.keys()];
}

/** The generation this worker belongs to (1 for the first; 0 outside prefork). */
export function generation(): number {
  attachFromEnv();
  return registry().generation;
}
