// What a format loader produces: a plan of where each array's bytes are in the source file and what must be done to
// them (byte swap, Fortran-to-C reorder, inflate) so a worker sees native little-endian C-order data. Loaders only
// read headers; src/datasets/load.ts executes plans into shared memory.
import type { DType } from './dtypes';

/** Where an array's raw bytes are. `byteLength` is always the size of the decoded array. */
export type ArraySource =
  /** `byteLength` bytes stored at `offset` in the file. */
  | { kind: 'range'; offset: number }
  /**
   * A raw-deflate stream (zip method 8) of `compressedLength` bytes at `offset`; the array's bytes start after the
   * first `skip` decompressed bytes (the npy header inside an .npz member).
   */
  | { kind: 'deflate'; offset: number; compressedLength: number; skip: number };

export interface ArrayPlan {
  /** Array key inside the dataset: '' for single-array sources (.npy, raw), the member or tensor name otherwise. */
  key: string;
  dtype: DType;
  shape: number[];
  /** Decoded size: product(shape) * DTYPE_SIZE[dtype]. */
  byteLength: number;
  /** Source bytes are big-endian and multi-byte: swap each element at load. */
  swap: boolean;
  /** Source is in Fortran (column-major) order: reorder to C order at load. */
  fortran: boolean;
  source: ArraySource;
}

export interface DatasetPlan {
  format: 'npy' | 'npz' | 'safetensors' | 'raw';
  arrays: ArrayPlan[];
  /** safetensors `__metadata__` (string to string); {} for other formats. */
  metadata: Record<string, string>;
}

/** Read access to a source file, bounds-checked: loaders never read past `size`. */
export interface SourceFile {
  /** The path as the user gave it, for messages. */
  path: string;
  size: number;
  /** Exactly `length` bytes at `offset`; throws PREFORK_DATASET_TRUNCATED naming `what` if the file is shorter. */
  read(offset: number, length: number, what: string): Buffer;
}
