// Raw files: the bytes are the array, the user says what they are (`--share w=weights.bin:f32[1000,64]`). Also holds
// the shape arithmetic every planner shares, so "how many bytes does this shape need" is computed one way only.
import { datasetError } from '../errors';
import { DTYPE_SIZE, type DType } from './dtypes';
import type { DatasetPlan, SourceFile } from './plan';

/** One dimension of a shape: a non-negative safe integer (what every format must check before multiplying). */
export function isDim(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Bytes an array of `shape` × `dtype` occupies, or undefined when that is not a safe integer, so a planner never
 * trusts (or allocates from) an overflowing product. A 0-d shape `[]` has one element; any 0 dimension gives 0 bytes,
 * even beside a dimension beyond 2^53 - 1 (an empty array, which a planner may accept).
 */
export function byteLengthOf(shape: readonly number[], dtype: DType): number | undefined {
  if (!shape.every(d => Number.isInteger(d) && d >= 0)) return undefined;
  if (shape.includes(0)) return 0;
  let n = DTYPE_SIZE[dtype];
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}

/** Shape as numpy prints it in messages: (3,), (3, 4), (). */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Plans a raw file: bytes when no dtype is given, else a 1-d array or the given shape, which must fit exactly. */
export function planRaw(src: SourceFile, dtype: DType | undefined, shape: number[] | undefined): DatasetPlan {
  const type = dtype ?? 'u8';
  const size = DTYPE_SIZE[type];
  let dims: number[];
  if (shape === undefined) {
    if (src.size % size !== 0) {
      throw datasetError(
        'PREFORK_DATASET_SIZE_MISMATCH',
        src.path,
        `file size: expected a multiple of ${size} bytes (one ${type}), got ${src.size} bytes`,
      );
    }
    dims = [src.size / size];
  } else {
    dims = [...shape];
    const need = byteLengthOf(dims, type);
    if (need === undefined) {
      throw datasetError(
        'PREFORK_DATASET_BAD_SHAPE',
        src.path,
        `shape: expected non-negative integers whose product fits in memory, got ${formatShape(dims)}`,
      );
    }
    if (need !== src.size) {
      throw datasetError(
        'PREFORK_DATASET_SIZE_MISMATCH',
        src.path,
        `file size: shape ${formatShape(dims)} of ${type} needs ${need} bytes, the file has ${src.size} bytes`,
      );
    }
  }
  return {
    format: 'raw',
    arrays: [{ key: '', dtype: type, shape: dims, byteLength: src.size, swap: false, fortran: false, source: { kind: 'range', offset: 0 } }],
    metadata: {},
  };
}
