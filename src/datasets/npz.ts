// .npz planner: an .npz is a zip of .npy members (numpy.savez stores them, savez_compressed deflates them). We read the
// end-of-central-directory record (and its ZIP64 form), the central directory and each member's local header, then
// plan each member's npy: a byte range when stored, a deflate stream plus the header length to skip when deflated.
import * as zlib from 'node:zlib';
import { datasetError, isPreforkError, PreforkError } from '../errors';
import type { ArrayPlan, DatasetPlan, SourceFile } from './plan';
import { checkNpyData, NPY_MAX_HEADER, parseNpyHeader, planNpyArray, type NpyHeader } from './npy';

const EOCD_SIG = 0x06054b50;
const EOCD_SIZE = 22;
/** The EOCD record (22 bytes) plus the longest comment (65535) is where the record can start from the end. */
const EOCD_SEARCH = EOCD_SIZE + 0xffff;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_SIG = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL_SIG = 0x04034b50;
const LOCAL_SIZE = 30;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
/** Deflate cannot expand more than 1032:1, so a larger declared size is a lie we must not allocate for. */
const DEFLATE_MAX_RATIO = 1032;
/** Most bytes we inflate while looking for a member's npy header (a header is at most NPY_MAX_HEADER + 12 bytes). */
const INFLATE_CAP = 2 * NPY_MAX_HEADER;
const METHOD_NAMES: Readonly<Record<number, string>> = { 1: 'shrink', 6: 'implode', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz', 99: 'AES encryption' };

interface Directory {
  entries: number;
  offset: number;
  size: number;
}

interface Member {
  name: string;
  flags: number;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

function archiveError(file: string, detail: string): PreforkError {
  return datasetError('PREFORK_DATASET_BAD_ARCHIVE', file, detail);
}

/** A little-endian u64 that must be a safe integer (zip64 sizes and offsets). */
function u64(buf: Buffer, at: number, file: string, field: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw archiveError(file, `${field}: expected at most ${Number.MAX_SAFE_INTEGER}, got ${v}`);
  return Number(v);
}

/** Finds the end-of-central-directory record: the last PK\x05\x06 whose comment runs exactly to the end of the file. */
function findEocd(src: SourceFile): { at: number; record: Buffer } {
  const length = Math.min(src.size, EOCD_SEARCH);
  const tail = src.read(src.size - length, length, 'end of central directory');
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG && i + EOCD_SIZE + tail.readUInt16LE(i + 20) === tail.length) {
      return { at: src.size - length + i, record: tail.subarray(i, i + EOCD_SIZE) };
    }
  }
  throw archiveError(src.path, `end of central directory: expected a zip record (PK\\x05\\x06) in the last ${length} bytes, found none; is this an .npz?`);
}

/** Reads the central directory's position and entry count, from the ZIP64 record when there is one. */
function readDirectory(src: SourceFile): Directory {
  const { at, record } = findEocd(src);
  let end = at;
  let dir = {
    entries: record.readUInt16LE(10),
    size: record.readUInt32LE(12),
    offset: record.readUInt32LE(16),
    singleDisk: record.readUInt16LE(4) === 0 && record.readUInt16LE(6) === 0 && record.readUInt16LE(8) === record.readUInt16LE(10),
  };
  const locator = at >= ZIP64_LOCATOR_SIZE ? src.read(at - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE, 'zip64 locator') : undefined;
  if (locator?.readUInt32LE(0) === ZIP64_LOCATOR_SIG) {
    end = u64(locator, 8, src.path, 'zip64 locator: record offset');
    dir = readZip64Eocd(src, end, at - ZIP64_LOCATOR_SIZE);
  } else if (dir.entries === U16_MAX || dir.size === U32_MAX || dir.offset === U32_MAX) {
    throw archiveError(src.path, 'end of central directory: expected a zip64 locator before a record with 0xffff fields, found none');
  }
  if (!dir.singleDisk) throw archiveError(src.path, 'end of central directory: expected a single-disk archive, got a multi-disk one');
  if (dir.offset + dir.size > end) {
    throw archiveError(src.path, `central directory: expected bytes ${dir.offset}..${dir.offset + dir.size} to end by byte ${end} (the end record)`);
  }
  if (dir.entries * CENTRAL_SIZE > dir.size) {
    throw archiveError(src.path, `central directory: ${dir.entries} entries need at least ${dir.entries * CENTRAL_SIZE} bytes, got ${dir.size}`);
  }
  return dir;
}

/** The ZIP64 end-of-central-directory record at `at`, which must end before the locator at `limit`. */
function readZip64Eocd(src: SourceFile, at: number, limit: number): Directory & { singleDisk: boolean } {
  if (at + ZIP64_EOCD_SIZE > limit) {
    throw archiveError(src.path, `zip64 locator: expected the zip64 record (${ZIP64_EOCD_SIZE} bytes) to end by byte ${limit}, got offset ${at}`);
  }
  const r = src.read(at, ZIP64_EOCD_SIZE, 'zip64 end of central directory');
  if (r.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw archiveError(src.path, `zip64 end of central directory: expected signature PK\\x06\\x06 at byte ${at}`);
  const entries = u64(r, 32, src.path, 'zip64 end of central directory: entry count');
  return {
    entries,
    size: u64(r, 40, src.path, 'zip64 end of central directory: directory size'),
    offset: u64(r, 48, src.path, 'zip64 end of central directory: directory offset'),
    singleDisk: r.readUInt32LE(16) === 0 && r.readUInt32LE(20) === 0 && u64(r, 24, src.path, 'zip64 entries on this disk') === entries,
  };
}

/** Walks the central directory. */
function readMembers(src: SourceFile, dir: Directory): Member[] {
  const cd = src.read(dir.offset, dir.size, 'central directory');
  const members: Member[] = [];
  let p = 0;
  for (let n = 0; n < dir.entries; n++) {
    if (p + CENTRAL_SIZE > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) {
      throw archiveError(src.path, `central directory entry ${n}: expected signature PK\\x01\\x02 at byte ${dir.offset + p}`);
    }
    const nameEnd = p + CENTRAL_SIZE + cd.readUInt16LE(p + 28);
    const extraEnd = nameEnd + cd.readUInt16LE(p + 30);
    const next = extraEnd + cd.readUInt16LE(p + 32);
    if (next > cd.length) throw archiveError(src.path, `central directory entry ${n}: name, extra field and comment run past the directory's ${dir.size} bytes`);
    const flags = cd.readUInt16LE(p + 8);
    const name = decodeName(cd.subarray(p + CENTRAL_SIZE, nameEnd), flags, src.path, n);
    members.push(centralMember(cd, p, name, cd.subarray(nameEnd, extraEnd), src.path));
    p = next;
  }
  return members;
}

function decodeName(bytes: Buffer, flags: number, file: string, n: number): string {
  if (!(flags & 0x800)) return bytes.toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw archiveError(file, `central directory entry ${n} name: expected UTF-8 (flag bit 11 is set), got invalid bytes`);
  }
}

/** One central directory entry, with 0xffffffff sizes and offset replaced from its zip64 extra field. */
function centralMember(cd: Buffer, p: number, name: string, extra: Buffer, file: string): Member {
  const m: Member = {
    name,
    flags: cd.readUInt16LE(p + 8),
    method: cd.readUInt16LE(p + 10),
    compressedSize: cd.readUInt32LE(p + 20),
    uncompressedSize: cd.readUInt32LE(p + 24),
    localOffset: cd.readUInt32LE(p + 42),
  };
  const wanted = (['uncompressedSize', 'compressedSize', 'localOffset'] as const).filter(k => m[k] === U32_MAX);
  if (wanted.length === 0) return m;
  const z = zip64Extra(extra, file, name);
  if (z === undefined || z.length < wanted.length * 8) {
    throw archiveError(file, `member '${name}' zip64 extra field: expected ${wanted.join(', ')} (they are 0xffffffff), found ${z === undefined ? 'no zip64 field' : `${z.length} bytes`}`);
  }
  for (const [i, k] of wanted.entries()) m[k] = u64(z, i * 8, file, `member '${name}' zip64 extra field: ${k}`);
  return m;
}

/** The data of the zip64 (0x0001) extra field, if any. */
function zip64Extra(extra: Buffer, file: string, name: string): Buffer | undefined {
  for (let q = 0; q + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(q);
    const end = q + 4 + extra.readUInt16LE(q + 2);
    if (end > extra.length) throw archiveError(file, `member '${name}' extra field 0x${id.toString(16)}: runs past the entry's extra data`);
    if (id === 1) return extra.subarray(q + 4, end);
    q = end;
  }
  return undefined;
}

/** Rejects what we cannot plan: encryption, methods other than stored/deflate, names that are not *.npy. */
function checkMember(m: Member, file: string): string {
  const where = `member '${m.name}'`;
  if (m.flags & 0x41) throw archiveError(file, `${where} flags: expected an unencrypted member, got encryption flag bits 0x${(m.flags & 0x41).toString(16)}`);
  if (m.method !== 0 && m.method !== 8) {
    const label = METHOD_NAMES[m.method] === undefined ? '' : ` (${METHOD_NAMES[m.method]})`;
    throw archiveError(file, `${where} compression method: expected 0 (stored) or 8 (deflate), got ${m.method}${label}`);
  }
  if (!m.name.endsWith('.npy') || m.name.length === 4) throw archiveError(file, `${where} name: expected KEY.npy (one .npy per array, as numpy.savez writes)`);
  if (m.method === 0 && m.compressedSize !== m.uncompressedSize) {
    throw archiveError(file, `${where} sizes: a stored member's compressed size ${m.compressedSize} should equal its uncompressed size ${m.uncompressedSize}`);
  }
  return m.name.slice(0, -4);
}

/** Offset of the member's data: after its local header, whose name and extra lengths may differ from the central ones. */
function dataStart(src: SourceFile, m: Member): number {
  const what = `member '${m.name}' local header`;
  const h = src.read(m.localOffset, LOCAL_SIZE, what);
  if (h.readUInt32LE(0) !== LOCAL_SIG) throw archiveError(src.path, `${what}: expected signature PK\\x03\\x04 at byte ${m.localOffset}`);
  const nameLength = h.readUInt16LE(26);
  const name = src.read(m.localOffset + LOCAL_SIZE, nameLength, what);
  if (!name.equals(Buffer.from(m.name, m.flags & 0x800 ? 'utf8' : 'latin1'))) {
    throw archiveError(src.path, `${what} name: expected '${m.name}' as in the central directory, got '${name.toString('latin1')}'`);
  }
  const start = m.localOffset + LOCAL_SIZE + nameLength + h.readUInt16LE(28);
  if (start + m.compressedSize > src.size) {
    throw datasetError('PREFORK_DATASET_TRUNCATED', src.path, `member '${m.name}' data: needs bytes ${start}..${start + m.compressedSize} but the file has ${src.size} bytes`);
  }
  return start;
}

/** Inflates the first bytes of a raw deflate stream; undefined when they would give more than INFLATE_CAP bytes. */
function inflatePrefix(prefix: Buffer, file: string, what: string): Buffer | undefined {
  try {
    return zlib.inflateRawSync(prefix, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: INFLATE_CAP });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    throw new PreforkError('PREFORK_DATASET_BAD_ARCHIVE', `${file}: ${what}: expected a valid deflate stream, got ${(e as Error).message}`, { file, cause: e });
  }
}

/**
 * Inflates as little of the member as holds its npy header: the prefix grows ×4 while the header is incomplete, and is
 * bisected if a prefix inflates to more than INFLATE_CAP (so a deflate bomb never makes us allocate much).
 */
function inflateHeader(src: SourceFile, offset: number, compressed: number, what: string): NpyHeader {
  let tooFew = 0;
  let tooMany = Infinity;
  let take = Math.min(compressed, 1024);
  for (;;) {
    const out = inflatePrefix(src.read(offset, take, what), src.path, what);
    if (out === undefined) tooMany = take;
    else {
      try {
        return parseNpyHeader(out, src.path, what);
      } catch (e) {
        if (take === compressed || !isPreforkError(e) || e.code !== 'PREFORK_DATASET_TRUNCATED') throw e;
        tooFew = take;
      }
    }
    take = tooMany === Infinity ? Math.min(compressed, take * 4) : Math.floor((tooFew + tooMany) / 2);
    if (take <= tooFew) throw archiveError(src.path, `${what}: expected a header within the first ${INFLATE_CAP} inflated bytes`);
  }
}

/** Plans a deflated member: the header is inflated now, the data at load. */
function planDeflated(src: SourceFile, m: Member, start: number, key: string): ArrayPlan {
  const where = `member '${m.name}'`;
  if (m.uncompressedSize > m.compressedSize * DEFLATE_MAX_RATIO + 64) {
    throw archiveError(src.path, `${where} uncompressed size: ${m.uncompressedSize} bytes cannot come from ${m.compressedSize} deflated bytes (at most ${DEFLATE_MAX_RATIO}:1)`);
  }
  const h = inflateHeader(src, start, m.compressedSize, `${where} header`);
  if (m.uncompressedSize < h.dataOffset) {
    throw datasetError('PREFORK_DATASET_TRUNCATED', src.path, `${where} uncompressed size: ${m.uncompressedSize} bytes is less than its ${h.dataOffset}-byte npy header`);
  }
  checkNpyData(h, m.uncompressedSize - h.dataOffset, src.path, `${where} data`);
  const source = { kind: 'deflate' as const, offset: start, compressedLength: m.compressedSize, skip: h.dataOffset };
  return { key, dtype: h.dtype, shape: h.shape, byteLength: h.byteLength, swap: h.swap, fortran: h.fortran, source };
}

/** Plans an .npz: one array per member, keyed by the member name minus '.npy', in central directory order. */
export function planNpz(src: SourceFile): DatasetPlan {
  const members = readMembers(src, readDirectory(src));
  if (members.length === 0) throw archiveError(src.path, 'central directory: expected at least one KEY.npy member, got none');
  const seen = new Set<string>();
  const arrays = members.map(m => {
    const key = checkMember(m, src.path);
    if (seen.has(key)) throw datasetError('PREFORK_DATASET_DUPLICATE', src.path, `member '${m.name}': expected each array name once, got '${key}' twice`);
    seen.add(key);
    const start = dataStart(src, m);
    return m.method === 0 ? planNpyArray(src, start, m.compressedSize, key, m.name) : planDeflated(src, m, start, key);
  });
  return { format: 'npz', arrays, metadata: {} };
}
