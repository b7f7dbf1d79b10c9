// .safetensors planner: u64 LE header length N, N bytes of JSON ({name: {dtype, shape, data_offsets}, __metadata__}),
// then the data buffer. We apply the format's own rules (as the reference implementation does): the header is capped,
// every tensor's size matches its shape, and the tensors tile the data buffer exactly, with no holes or overlaps.
import { datasetError } from '../errors';
import { SAFETENSORS_DTYPE, type DType } from './dtypes';
import type { ArrayPlan, DatasetPlan, SourceFile } from './plan';
import { byteLengthOf, isDim } from './raw';

/** The reference implementation's cap on the header length (safetensors' MAX_HEADER_SIZE). */
export const SAFETENSORS_MAX_HEADER = 100_000_000;

const TENSOR_KEYS = ['dtype', 'shape', 'data_offsets'];
const SUPPORTED = `one of ${Object.keys(SAFETENSORS_DTYPE).join(', ')}`;

interface Tensor {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function headerError(file: string, detail: string): Error {
  return datasetError('PREFORK_DATASET_BAD_HEADER', file, detail);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a message shows of a JSON value. */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Reads and parses the JSON header; returns it and where the data buffer starts. */
function readHeader(src: SourceFile): { header: Record<string, unknown>; dataStart: number } {
  const n = src.read(0, 8, 'header length (u64 LE)').readBigUInt64LE(0);
  if (n > BigInt(SAFETENSORS_MAX_HEADER)) {
    throw headerError(src.path, `header length: expected at most ${SAFETENSORS_MAX_HEADER} bytes, got ${n}`);
  }
  const length = Number(n);
  if (8 + length > src.size) {
    throw datasetError('PREFORK_DATASET_TRUNCATED', src.path, `header length: says ${length} bytes of JSON, but only ${src.size - 8} follow it`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(src.read(8, length, 'header'));
  } catch {
    throw headerError(src.path, 'header: expected UTF-8 JSON, got invalid UTF-8');
  }
  if (!text.startsWith('{')) throw headerError(src.path, `header: expected a JSON object starting with '{', got ${show(text.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw headerError(src.path, `header: expected a JSON object, got invalid JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) throw headerError(src.path, `header: expected a JSON object, got ${show(header)}`);
  return { header, dataStart: 8 + length };
}

/** `__metadata__`: an object of string to string. */
function readMetadata(v: unknown, file: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObject(v) || !Object.values(v).every(x => typeof x === 'string')) {
    throw headerError(file, `'__metadata__': expected an object of string to string, got ${show(v)}`);
  }
  return { ...(v as Record<string, string>) };
}

function isOffsetPair(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && v.every(isDim);
}

/** One tensor entry, checked on its own: keys, dtype, shape, offsets, and size against shape. */
function readTensor(name: string, v: unknown, file: string, dataSize: number): Tensor {
  const where = `tensor '${name}'`;
  if (name === '') throw headerError(file, "tensor name: expected a non-empty name, got ''");
  if (!isObject(v)) throw headerError(file, `${where}: expected an object with dtype, shape and data_offsets, got ${show(v)}`);
  const extra = Object.keys(v).find(k => !TENSOR_KEYS.includes(k));
  if (extra !== undefined) throw headerError(file, `${where}: unexpected key '${extra}'; expected only dtype, shape and data_offsets`);
  const missing = TENSOR_KEYS.find(k => !(k in v));
  if (missing !== undefined) throw headerError(file, `${where}: missing key '${missing}'; expected dtype, shape and data_offsets`);
  const dtype = typeof v.dtype === 'string' ? SAFETENSORS_DTYPE[v.dtype] : undefined;
  if (dtype === undefined) throw datasetError('PREFORK_DATASET_BAD_DTYPE', file, `${where} 'dtype': unsupported dtype ${show(v.dtype)}; expected ${SUPPORTED}`);
  const shape = v.shape;
  if (!Array.isArray(shape) || !shape.every(d => Number.isInteger(d) && d >= 0)) {
    throw datasetError('PREFORK_DATASET_BAD_SHAPE', file, `${where} 'shape': expected an array of non-negative integers, got ${show(shape)}`);
  }
  // JSON.parse has already rounded a dimension beyond 2^53 - 1, so unlike .npy even an empty tensor cannot keep one.
  const huge = shape.find(d => !isDim(d));
  if (huge !== undefined) {
    throw datasetError('PREFORK_DATASET_BAD_SHAPE', file, `${where} 'shape': dimension ${show(huge)} in ${show(shape)} is beyond JavaScript's safe integers (2^53 - 1)`);
  }
  const offsets = v.data_offsets;
  const [begin, end]: [number, number] = isOffsetPair(offsets) ? offsets : [1, 0];
  if (begin > end) {
    throw datasetError('PREFORK_DATASET_BAD_OFFSETS', file, `${where} 'data_offsets': expected [begin, end] with integers 0 <= begin <= end, got ${show(offsets)}`);
  }
  if (end > dataSize) {
    throw datasetError('PREFORK_DATASET_BAD_OFFSETS', file, `${where} 'data_offsets': expected an end within the ${dataSize}-byte data buffer, got [${begin}, ${end}] (is the file truncated?)`);
  }
  const need = byteLengthOf(shape, dtype);
  if (need !== end - begin) {
    const says = need === undefined ? 'more bytes than fit in memory' : `${need} bytes`;
    throw datasetError('PREFORK_DATASET_SIZE_MISMATCH', file, `${where}: shape ${show(shape)} of ${v.dtype as string} needs ${says}, but 'data_offsets' [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype, shape, begin, end };
}

/** The tensors, sorted by offset, must cover [0, dataSize) exactly: each starts where the previous one ended. */
function checkCoverage(tensors: Tensor[], dataSize: number, file: string): void {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous = 'the start of the data buffer';
  for (const t of sorted) {
    if (t.begin !== expected) {
      const problem = t.begin > expected ? `a hole of ${t.begin - expected} bytes` : `an overlap of ${expected - t.begin} bytes`;
      throw datasetError('PREFORK_DATASET_BAD_OFFSETS', file, `tensor '${t.name}' 'data_offsets': expected to begin at ${expected} (after ${previous}), got [${t.begin}, ${t.end}]: ${problem}`);
    }
    expected = t.end;
    previous = `tensor '${t.name}'`;
  }
  if (expected !== dataSize) {
    throw datasetError('PREFORK_DATASET_BAD_OFFSETS', file, `data buffer: expected the tensors to cover all ${dataSize} bytes after the header, they end at ${expected} (after ${previous}): ${dataSize - expected} bytes not in any tensor`);
  }
}

/** Plans a .safetensors file. Arrays are sorted by tensor name (the JSON object's order carries no meaning). */
export function planSafetensors(src: SourceFile): DatasetPlan {
  const { header, dataStart } = readHeader(src);
  const dataSize = src.size - dataStart;
  const metadata = readMetadata(header['__metadata__'], src.path);
  const names = Object.keys(header).filter(k => k !== '__metadata__').sort();
  if (names.length === 0) throw headerError(src.path, 'header: expected at least one tensor, got none');
  const tensors = names.map(name => readTensor(name, header[name], src.path, dataSize));
  checkCoverage(tensors, dataSize, src.path);
  const arrays = tensors.map((t): ArrayPlan => ({
    key: t.name,
    dtype: t.dtype,
    shape: t.shape,
    byteLength: t.end - t.begin,
    swap: false,
    fortran: false,
    source: { kind: 'range', offset: dataStart + t.begin },
  }));
  return { format: 'safetensors', arrays, metadata };
}
