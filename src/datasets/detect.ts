// Picks the planner for a source file by its extension, so the loader and `prefork inspect` treat files identically.
import * as path from 'node:path';
import { datasetError } from '../errors';
import type { DType } from './dtypes';
import type { DatasetPlan, SourceFile } from './plan';
import { planNpy } from './npy';
import { planNpz } from './npz';
import { planRaw } from './raw';
import { planSafetensors } from './safetensors';

/** Plans any dataset file: .npy, .npz and .safetensors (any case) by format, everything else as raw bytes. */
export function planDataset(src: SourceFile, spec: { dtype?: DType; shape?: number[] }): DatasetPlan {
  const ext = path.extname(src.path).toLowerCase();
  const planner = ext === '.npy' ? planNpy : ext === '.npz' ? planNpz : ext === '.safetensors' ? planSafetensors : undefined;
  if (planner === undefined) return planRaw(src, spec.dtype, spec.shape);
  if (spec.dtype !== undefined || spec.shape !== undefined) {
    throw datasetError('PREFORK_BAD_SPEC', src.path, `dtype: applies only to raw files; a ${ext} file records its own dtype and shape`);
  }
  return planner(src);
}
