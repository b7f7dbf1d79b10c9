// What a worker holds for one dataset: one read-only mapping of its memfd and zero-copy typed-array views over it.
import * as fs from 'node:fs';
import { PreforkError } from '../errors';
import { native, nativeError } from '../native';
import type { AnyTypedArray, DType, TypedArrayFor } from './dtypes';
import { viewOf } from './dtypes';
import type { ArrayEntry, DatasetHeader, SourceIdentity } from './layout';
import { readHeader } from './layout';

export interface ArrayMeta {
  dtype: DType;
  shape: number[];
  byteLength: number;
}

/** A dataset as a worker sees it. `array()` returns the same view object on every call. */
export class DatasetHandle {
  readonly name: string;
  readonly generation: number;
  readonly format: DatasetHeader['format'];
  /** The file it was loaded from: path, size, mtime, device and inode at load time. */
  readonly source: SourceIdentity;
  /** safetensors `__metadata__`; {} for other formats. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The one ArrayBuffer over the mapping; every view derives from it, and it must live as long as they do. */
  readonly buffer: ArrayBuffer;
  readonly fd: number;
  readonly #entries: Map<string, ArrayEntry>;
  readonly #views = new Map<string, AnyTypedArray>();

  constructor(fd: number, header: DatasetHeader, buffer: ArrayBuffer) {
    this.fd = fd;
    this.name = header.name;
    this.generation = header.generation;
    this.format = header.format;
    this.source = header.source;
    this.metadata = Object.freeze({ ...header.metadata });
    this.buffer = buffer;
    this.#entries = new Map(header.arrays.map(a => [a.key, a]));
  }

  /** Array keys: [''] for .npy and raw files, member or tensor names otherwise. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** The typed array for `key` (omit it for a single-array source); pass `dtype` to check it and narrow the type. */
  array<D extends DType>(key: string | undefined, dtype: D): TypedArrayFor<D>;
  array(key?: string): AnyTypedArray;
  array(key?: string, dtype?: DType): AnyTypedArray {
    const e = this.#entry(key);
    if (dtype !== undefined && dtype !== e.dtype) {
      throw new PreforkError('PREFORK_NO_DATASET', `dataset '${this.name}' array '${e.key}' is ${e.dtype}, not ${dtype}`);
    }
    let v = this.#views.get(e.key);
    if (v === undefined) {
      v = viewOf(e.dtype, this.buffer, e.offset, e.byteLength / elementSize(e));
      this.#views.set(e.key, v);
    }
    return v;
  }

  /** dtype, shape and byte length of `key`. */
  meta(key?: string): ArrayMeta {
    const e = this.#entry(key);
    return { dtype: e.dtype, shape: [...e.shape], byteLength: e.byteLength };
  }

  /** The raw bytes of `key` as the worker sees them (little-endian, C order). */
  bytes(key?: string): Uint8Array {
    const e = this.#entry(key);
    return new Uint8Array(this.buffer, e.offset, e.byteLength);
  }

  #entry(key: string | undefined): ArrayEntry {
    if (key === undefined) {
      if (this.#entries.size === 1) return this.#entries.values().next().value as ArrayEntry;
      throw new PreforkError(
        'PREFORK_NO_DATASET',
        `dataset '${this.name}' has ${this.#entries.size} arrays; name one of: ${this.keys().map(k => `'${k}'`).join(', ') || '(none)'}`,
      );
    }
    const e = this.#entries.get(key);
    if (e === undefined) {
      throw new PreforkError('PREFORK_NO_DATASET', `dataset '${this.name}' has no array '${key}'; it has: ${this.keys().map(k => `'${k}'`).join(', ')}`);
    }
    return e;
  }
}

function elementSize(e: ArrayEntry): number {
  const count = e.shape.reduce((p, d) => p * d, 1);
  return count === 0 ? 1 : e.byteLength / count;
}

/** Maps a dataset memfd read-only and wraps it. */
export function attachDataset(fd: number): DatasetHandle {
  const header = readHeader(fd);
  const size = fs.fstatSync(fd).size;
  if (size < header.size) {
    throw new PreforkError('PREFORK_DATASET_BAD_HEADER', `fd ${fd}: dataset '${header.name}' says ${header.size} bytes but its memfd has ${size}`);
  }
  let buffer: ArrayBuffer;
  try {
    buffer = native().map(fd, header.size, false);
  } catch (e) {
    throw nativeError(`mapping dataset '${header.name}' (fd ${fd})`, e);
  }
  return new DatasetHandle(fd, header, buffer);
}

/**
 * Pre-faults every page of a dataset mapping in this process, so no request pays the page-fault tax (docs/ARCHITECTURE.md,
 * "Dataset memory"): MADV_POPULATE_READ where the kernel has it (>= 5.14), else one read per page.
 */
export function populate(d: DatasetHandle): void {
  try {
    native().populate(d.buffer);
  } catch {
    const bytes = new Uint8Array(d.buffer);
    let sink = 0;
    for (let i = 0; i < bytes.length; i += 4096) sink ^= bytes[i] ?? 0;
    if (sink === 256) throw new Error('unreachable'); // keeps the loop from being optimised away
  }
}
