// The worker API: what an app imports from 'prefork' to read its shared datasets.
import type { DatasetHandle } from './datasets/handle';
import { PreforkError } from './errors';
import { registry } from './registry';

export { DatasetHandle } from './datasets/handle';
export type { ArrayMeta } from './datasets/handle';
export type { AnyTypedArray, DType, TypedArrayFor } from './datasets/dtypes';
export { PreforkError, isPreforkError } from './errors';
export type { PreforkErrorCode } from './errors';

/** The dataset shared under `name`; throws PREFORK_NO_DATASET listing the names that exist. */
export function dataset(name: string): DatasetHandle {
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
  return [...registry().datasets.keys()];
}

/** The generation this worker belongs to (1 for the first; 0 outside prefork). */
export function generation(): number {
  return registry().generation;
}
