// Executes a dataset plan into one sealed memfd: the supervisor calls it once per dataset per generation, then hands
// the fd to the zygote and workers. File bytes go from the page cache straight into shared memory (pread in the
// shim); only deflated .npz members and Fortran-order arrays pass through a bounded Buffer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { datasetError, isPreforkError, PreforkError } from '../errors';
import { native, nativeError } from '../native';
import { planDataset } from './detect';
import { DTYPE_SIZE } from './dtypes';
import { hugePagePolicy } from './hugepages';
import type { DatasetHeader } from './layout';
import { layout, readHeader } from './layout';
import type { ArrayPlan, SourceFile } from './plan';
import { openSource } from './source';
import type { ShareSpec } from './spec';

/** Bytes copied per shim call: large enough to amortise the mmap, small enough to keep the event loop responsive. */
const CHUNK = 32 << 20;
/** zlib's deflate cannot expand data by more than about 1032:1, so a bigger claim is a lie we refuse to allocate. */
const MAX_DEFLATE_RATIO = 1032;
/** The kernel takes at most 249 bytes of memfd name (the shim's buffer 248); a file stem can be longer. */
const MEMFD_NAME_BYTES = 240;

/** The memfd's name is only a label in /proc/PID/fd and maps: a long one is cut rather than failing the load. */
const memfdName = (label: string) => Buffer.from(label, 'utf8').subarray(0, MEMFD_NAME_BYTES).toString('utf8');

export interface LoadOptions {
  generation?: number;
  /** Called after each chunk with bytes copied so far and the dataset's total array bytes. */
  onProgress?: (done: number, total: number) => void;
  /** Override the kernel-derived huge-page decision (tests). */
  huge?: boolean;
  /** Abandons the load between chunks (the memfd is closed at once, so the memory is freed). */
  signal?: AbortSignal;
}

/** A dataset in a sealed memfd, owned by the process that loaded it until close(). */
export interface SharedDataset {
  name: string;
  fd: number;
  header: DatasetHeader;
  close(): void;
}

/**
 * A dataset memfd handed over by the supervisor being upgraded, if it holds `spec` as its file is now (same name,
 * path, size, modification time and inode); undefined when it does not (the file changed: load it anew).
 */
export function adoptDataset(fd: number, spec: ShareSpec): SharedDataset | undefined {
  const header = readHeader(fd);
  let st: fs.Stats;
  try {
    st = fs.statSync(spec.path);
  } catch {
    return undefined;
  }
  const s = header.source;
  const same = header.name === spec.name && s.path === path.resolve(spec.path) && s.size === st.size && s.mtimeMs === st.mtimeMs && s.ino === st.ino && s.dev === st.dev;
  return same ? { name: spec.name, fd, header, close: () => fs.closeSync(fd) } : undefined;
}

/** Loads one `--share` spec into a sealed memfd. Errors are PreforkErrors naming the file; nothing is left open. */
export async function loadDataset(spec: ShareSpec, options: LoadOptions = {}): Promise<SharedDataset> {
  const src = openSource(spec.path);
  let fd = -1;
  try {
    const { plan, header, bytes } = planLayout(src, spec, options.generation ?? 0);
    const huge = (options.huge ?? hugePagePolicy().huge) ? 1 : 0;
    const shim = native();
    try {
      fd = shim.memfdCreate(memfdName(`prefork:${spec.name}@${options.generation ?? 0}`), header.size);
      shim.fillFromBuffer(fd, 0, bytes, 0, huge);
    } catch (e) {
      throw nativeError(`${spec.path}: creating shared memory of ${header.size} bytes`, e);
    }
    const total = plan.arrays.reduce((n, a) => n + a.byteLength, 0);
    let done = 0;
    const progress = (n: number) => {
      done += n;
      options.onProgress?.(done, total);
      options.signal?.throwIfAborted();
    };
    for (const [i, a] of plan.arrays.entries()) {
      const entry = header.arrays[i];
      if (entry === undefined) throw new Error('layout lost an array');
      await fillArray(fd, entry.offset, a, src, huge, progress);
    }
    try {
      shim.seal(fd);
    } catch (e) {
      throw nativeError(`${spec.path}: sealing shared memory`, e);
    }
    const sealedFd = fd;
    return { name: spec.name, fd: sealedFd, header, close: () => fs.closeSync(sealedFd) };
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    throw e;
  } finally {
    src.close();
  }
}

/** The plan of `spec` and the memfd layout it gets. */
function planLayout(src: ReturnType<typeof openSource>, spec: ShareSpec, generation: number) {
  const plan = planDataset(src, spec);
  const st = src.stat;
  const source = { path: path.resolve(spec.path), size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
  return { plan, ...layout(plan, { name: spec.name, generation, source }) };
}

/** The bytes `spec`'s memfd will take, from the file's header alone (the memory a load must find first). */
export function datasetFootprint(spec: ShareSpec): number {
  const src = openSource(spec.path);
  try {
    return planLayout(src, spec, 0).header.size;
  } finally {
    src.close();
  }
}

type Progress = (n: number) => void;

async function fillArray(fd: number, at: number, a: ArrayPlan, src: SourceFile & { fd: number }, huge: number, progress: Progress) {
  const size = DTYPE_SIZE[a.dtype];
  const swap = a.swap ? size : 0;
  if (a.fortran) {
    const bytes = a.source.kind === 'range' ? src.read(a.source.offset, a.byteLength, `array '${a.key}' data`) : await inflateAll(src, a);
    writeBuffer(fd, at, fortranToC(bytes, a.shape, size), swap, huge, src.path);
    progress(a.byteLength);
  } else if (a.source.kind === 'range') {
    const from = a.source.offset;
    for (let off = 0; off < a.byteLength; off += CHUNK) {
      const n = Math.min(CHUNK, a.byteLength - off);
      try {
        native().fillFromFd(fd, at + off, src.fd, from + off, n, swap, huge);
      } catch (e) {
        throw nativeError(`${src.path}: copying array '${a.key}'`, e);
      }
      progress(n);
      await yieldToLoop();
    }
  } else {
    let off = 0;
    for await (const chunk of inflateStream(src, a)) {
      writeBuffer(fd, at + off, chunk, swap, huge, src.path);
      off += chunk.length;
      progress(chunk.length);
    }
  }
}

function writeBuffer(fd: number, at: number, bytes: Uint8Array, swap: number, huge: number, file: string) {
  try {
    native().fillFromBuffer(fd, at, bytes, swap, huge);
  } catch (e) {
    throw nativeError(`${file}: writing shared memory`, e);
  }
}

const yieldToLoop = () => new Promise<void>(resolve => setImmediate(resolve));

/**
 * The array bytes of a deflated .npz member in element-aligned batches of about CHUNK bytes. Fails if the stream
 * is corrupt, ends early, or holds more than it declared (stopping as soon as it does: no zip bomb).
 */
async function* inflateStream(src: SourceFile, a: ArrayPlan): AsyncGenerator<Buffer> {
  if (a.source.kind !== 'deflate') throw new Error('not a deflate source');
  const { offset, compressedLength, skip } = a.source;
  const what = `member '${a.key}.npy'`;
  if (skip + a.byteLength > compressedLength * MAX_DEFLATE_RATIO + 1024) {
    throw datasetError('PREFORK_DATASET_SIZE_MISMATCH', src.path, `${what}: declares ${a.byteLength} bytes from ${compressedLength} compressed bytes, more than deflate can hold`);
  }
  const input = Readable.from(readChunks(src, offset, compressedLength, what));
  const inflate = zlib.createInflateRaw();
  input.on('error', e => inflate.destroy(e));
  input.pipe(inflate);
  const size = DTYPE_SIZE[a.dtype];
  let skipped = 0;
  let produced = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  try {
    for await (const raw of inflate as AsyncIterable<Buffer>) {
      let chunk = raw;
      if (skipped < skip) {
        const take = Math.min(skip - skipped, chunk.length);
        skipped += take;
        chunk = chunk.subarray(take);
      }
      if (produced + chunk.length > a.byteLength) {
        throw datasetError('PREFORK_DATASET_SIZE_MISMATCH', src.path, `${what}: inflates to more than the ${a.byteLength} bytes its shape needs`);
      }
      produced += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= CHUNK) {
        const batch = Buffer.concat(pending, pendingBytes);
        const whole = batch.length - (batch.length % size);
        yield batch.subarray(0, whole);
        pending = [batch.subarray(whole)];
        pendingBytes = batch.length - whole;
      }
    }
  } catch (e) {
    if (isPreforkError(e)) throw e;
    throw new PreforkError('PREFORK_DATASET_BAD_ARCHIVE', `${src.path}: ${what}: deflate stream is corrupt (${(e as Error).message})`, { file: src.path, cause: e });
  } finally {
    input.destroy();
    inflate.destroy();
  }
  if (produced !== a.byteLength) {
    throw datasetError('PREFORK_DATASET_TRUNCATED', src.path, `${what}: inflates to ${produced} array bytes, expected ${a.byteLength}`);
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

function* readChunks(src: SourceFile, offset: number, length: number, what: string): Generator<Buffer> {
  const step = 1 << 20;
  for (let off = 0; off < length; off += step) yield src.read(offset + off, Math.min(step, length - off), `${what} compressed data`);
}

async function inflateAll(src: SourceFile, a: ArrayPlan): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of inflateStream(src, a)) parts.push(chunk);
  return Buffer.concat(parts, a.byteLength);
}

/** Reorders a column-major array into row-major order (elements of `size` bytes). */
export function fortranToC(bytes: Uint8Array, shape: number[], size: number): Uint8Array {
  const n = shape.length;
  const count = shape.reduce((p, d) => p * d, 1);
  const out = new Uint8Array(count * size);
  if (count === 0) return out;
  const strideF: number[] = [];
  let s = 1;
  for (const d of shape) {
    strideF.push(s);
    s *= d;
  }
  const idx = new Array<number>(n).fill(0);
  let f = 0;
  for (let c = 0; c < count; c++) {
    out.set(bytes.subarray(f * size, f * size + size), c * size);
    // advance the C-order odometer and keep the Fortran index in step
    for (let k = n - 1; k >= 0; k--) {
      const dim = shape[k] ?? 1;
      const stride = strideF[k] ?? 0;
      if (++idx[k]! < dim) {
        f += stride;
        break;
      }
      idx[k] = 0;
      f -= stride * (dim - 1);
    }
  }
  return out;
}
