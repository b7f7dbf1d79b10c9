// The self-describing layout of a dataset memfd: a small JSON header at offset 0, then each array at a 64-byte
// aligned offset. Any process holding only the fd (a forked or an exec'd worker) can attach it without other state.
import * as fs from 'node:fs';
import { PreforkError } from '../errors';
import type { DType } from './dtypes';
import { DTYPE_SIZE } from './dtypes';
import type { DatasetPlan } from './plan';

const MAGIC = Buffer.from('PREFORK\x01', 'latin1');
const PREAMBLE = MAGIC.length + 4;
/** Arrays start at multiples of this, so every typed-array view is aligned for any dtype and for SIMD loads. */
export const ARRAY_ALIGN = 64;
const PAGE = 4096;
const MAX_HEADER = 16 << 20;

export interface ArrayEntry {
  key: string;
  dtype: DType;
  shape: number[];
  /** Offset of the first byte in the memfd. */
  offset: number;
  byteLength: number;
}

export interface SourceIdentity {
  path: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

export interface DatasetHeader {
  name: string;
  generation: number;
  format: DatasetPlan['format'];
  source: SourceIdentity;
  metadata: Record<string, string>;
  arrays: ArrayEntry[];
  /** Total size of the memfd. */
  size: number;
}

export function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Places the plan's arrays after the header and returns the header with its encoded bytes. */
export function layout(
  plan: DatasetPlan,
  info: Omit<DatasetHeader, 'arrays' | 'size' | 'format' | 'metadata'>,
): { header: DatasetHeader; bytes: Buffer } {
  // Offsets depend on the header's length and the header holds the offsets: settle it in two passes.
  let dataStart = PAGE;
  for (;;) {
    let at = dataStart;
    const arrays = plan.arrays.map(a => {
      const offset = alignUp(at, ARRAY_ALIGN);
      at = offset + a.byteLength;
      return { key: a.key, dtype: a.dtype, shape: a.shape, offset, byteLength: a.byteLength };
    });
    const header: DatasetHeader = { ...info, format: plan.format, metadata: plan.metadata, arrays, size: alignUp(Math.max(at, dataStart), PAGE) };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    if (PREAMBLE + json.length <= dataStart) {
      const bytes = Buffer.alloc(PREAMBLE + json.length);
      MAGIC.copy(bytes, 0);
      bytes.writeUInt32LE(json.length, MAGIC.length);
      json.copy(bytes, PREAMBLE);
      return { header, bytes };
    }
    dataStart = alignUp(PREAMBLE + json.length, PAGE);
  }
}

/** Reads and checks the header of a dataset memfd. */
export function readHeader(fd: number): DatasetHeader {
  const pre = Buffer.alloc(PREAMBLE);
  const bad = (why: string) => new PreforkError('PREFORK_DATASET_BAD_HEADER', `fd ${fd}: not a prefork dataset (${why})`);
  if (fs.readSync(fd, pre, 0, PREAMBLE, 0) !== PREAMBLE || !pre.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('bad magic');
  const len = pre.readUInt32LE(MAGIC.length);
  if (len > MAX_HEADER) throw bad(`header length ${len}`);
  const json = Buffer.alloc(len);
  if (fs.readSync(fd, json, 0, len, PREAMBLE) !== len) throw bad('short header');
  const header = JSON.parse(json.toString('utf8')) as DatasetHeader;
  for (const a of header.arrays) {
    if (a.offset % ARRAY_ALIGN !== 0 || a.offset + a.byteLength > header.size) throw bad(`array '${a.key}' out of bounds`);
    if (a.byteLength % DTYPE_SIZE[a.dtype] !== 0) throw bad(`array '${a.key}' length`);
  }
  return header;
}
