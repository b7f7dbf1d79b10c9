// Loads every --share file of one generation into sealed memfds, one after the other, logging each; on any failure
// it closes what it had loaded and rethrows, so a failed generation holds no memory.
import { performance } from 'node:perf_hooks';
import type { SharedDataset } from '../datasets/load';
import { loadDataset } from '../datasets/load';
import type { ShareSpec } from '../datasets/spec';
import * as log from './log';

export async function loadGenerationDatasets(shares: ShareSpec[], generation: number, signal?: AbortSignal): Promise<SharedDataset[]> {
  const t0 = performance.now();
  const loaded: SharedDataset[] = [];
  try {
    for (const spec of shares) {
      const t1 = performance.now();
      const d = await loadDataset(spec, signal ? { generation, signal } : { generation });
      loaded.push(d);
      const mb = d.header.arrays.reduce((n, a) => n + a.byteLength, 0) / 1e6;
      log.info(`dataset '${d.name}' loaded from ${spec.path}: ${d.header.arrays.length} array(s), ${mb.toFixed(1)} MB in ${(performance.now() - t1).toFixed(0)} ms`);
    }
  } catch (error) {
    for (const d of loaded) d.close();
    throw error;
  }
  if (shares.length) log.info(`generation ${generation}: datasets ready in ${(performance.now() - t0).toFixed(0)} ms`);
  return loaded;
}
