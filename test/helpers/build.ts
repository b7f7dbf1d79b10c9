// Test helpers: builders for .npy, .npz (a tiny zip writer) and .safetensors bytes, the shared fixtures and their
// manifest, and an assertion that a call throws a PreforkError with an exact code and a message naming what it must.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { isPreforkError, type PreforkErrorCode } from '../../src/errors';
import type { ArrayPlan } from '../../src/datasets/plan';

/** The format fixtures numpy wrote (scripts/make-fixtures.py), committed with their manifest.json. */
export const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'formats');

/** One array of a fixture, as manifest.json describes it. */
export interface ManifestArray {
  dtype: string;
  shape: number[];
  count: number;
  sha256_le_c: string;
}

/** One fixture file, as manifest.json describes it. */
export interface ManifestFile {
  format: 'npy' | 'npz' | 'safetensors' | 'raw';
  arrays: Record<string, ManifestArray>;
  metadata?: Record<string, string>;
}

/** manifest.json's files. */
export function manifest(): Record<string, ManifestFile> {
  return (JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as { files: Record<string, ManifestFile> }).files;
}

/** A fixture's bytes. */
export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

/** Writes `bytes` to a fresh temp file and returns its path (removed at exit). */
export function tempFile(name: string, bytes: Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-test-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** The assertions throwsPrefork needs (a tap Test has them). */
interface Asserts {
  fail(message: string): boolean;
  equal(found: unknown, wanted: unknown, message: string): boolean;
  match(found: unknown, pattern: unknown, message: string): boolean;
}

/** Asserts `fn` throws a PreforkError with `code` whose message contains every one of `parts`. */
export function throwsPrefork(t: Asserts, fn: () => unknown, code: PreforkErrorCode, ...parts: string[]): void {
  try {
    fn();
  } catch (e) {
    if (!isPreforkError(e)) {
      t.fail(`expected a PreforkError ${code}, got ${String(e)}`);
      return;
    }
    t.equal(e.code, code, `code of: ${e.message}`);
    for (const p of parts) t.match(e.message, p, `message names ${JSON.stringify(p)}`);
    return;
  }
  t.fail(`expected a PreforkError ${code}, got no error`);
}

/** An npy header dict as numpy writes it. */
export function npyDict(descr: string, shape: readonly number[], fortran = false): string {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${tuple}, }`;
}

/**
 * An .npy: magic, version, length, `dict` padded with spaces and '\n' so the data starts at a multiple of 64 (as
 * numpy does), then `data`. `headerLength` overrides the length field.
 */
export function npy(dict: string, data: Uint8Array = new Uint8Array(0), opts: { version?: 1 | 2 | 3; headerLength?: number } = {}): Buffer {
  const version = opts.version ?? 1;
  const prelude = version === 1 ? 10 : 12;
  const text = Buffer.from(dict, version === 3 ? 'utf8' : 'latin1');
  const padded = Math.ceil((prelude + text.length + 1) / 64) * 64 - prelude;
  const header = Buffer.alloc(prelude + padded, 0x20);
  Buffer.from('\x93NUMPY', 'latin1').copy(header);
  header[6] = version;
  header[7] = 0;
  const length = opts.headerLength ?? padded;
  if (version === 1) header.writeUInt16LE(length, 8);
  else header.writeUInt32LE(length, 8);
  text.copy(header, prelude);
  header[header.length - 1] = 0x0a;
  return Buffer.concat([header, data]);
}

/** An .npy of `count` elements of a little-endian dtype with bytes 0, 1, 2, ... */
export function npyOf(descr: string, shape: readonly number[], itemsize: number, fortran = false): Buffer {
  const n = shape.reduce((a, b) => a * b, 1) * itemsize;
  return npy(npyDict(descr, shape, fortran), Uint8Array.from({ length: n }, (_, i) => i & 0xff));
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (the zip one). */
export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One member for zip(). */
export interface ZipMember {
  name: string;
  data: Uint8Array;
  /** 0 stored (default) or 8 deflate; anything else is written as given, with the data stored. */
  method?: number;
  flags?: number;
  /** Write sizes and local offset as 0xffffffff with a zip64 extra field in the central directory, as for huge members. */
  zip64?: boolean;
  /** Extra bytes in the local header only (local and central extra lengths then differ). */
  localExtra?: Uint8Array;
}

/** A built zip and where its records are, so tests can corrupt them. */
export interface ZipBuild {
  bytes: Buffer;
  local: number[];
  central: number[];
  eocd: number;
}

/** A minimal zip writer: local headers + data, central directory, optional ZIP64 end records, end record. */
export function zip(members: readonly ZipMember[], opts: { zip64End?: boolean; comment?: string } = {}): ZipBuild {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  const local: number[] = [];
  let offset = 0;
  for (const m of members) {
    const method = m.method ?? 0;
    const body = Buffer.from(method === 8 ? zlib.deflateRawSync(m.data) : m.data);
    const name = Buffer.from(m.name, 'utf8');
    const extra = Buffer.from(m.localExtra ?? []);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(m.zip64 ? 45 : 20, 4);
    lh.writeUInt16LE(m.flags ?? 0, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc32(m.data), 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(m.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(extra.length, 28);
    local.push(offset);
    parts.push(lh, name, extra, body);
    central.push(centralEntry(m, method, name, body.length, offset));
    offset += lh.length + name.length + extra.length + body.length;
  }
  const cdOffset = offset;
  const cd = Buffer.concat(central);
  const centralOffsets: number[] = [];
  let p = cdOffset;
  for (const c of central) {
    centralOffsets.push(p);
    p += c.length;
  }
  parts.push(cd);
  if (opts.zip64End) parts.push(zip64End(members.length, cd.length, cdOffset, cdOffset + cd.length));
  const comment = Buffer.from(opts.comment ?? '', 'latin1');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(opts.zip64End ? 0xffff : members.length, 8);
  end.writeUInt16LE(opts.zip64End ? 0xffff : members.length, 10);
  end.writeUInt32LE(opts.zip64End ? 0xffffffff : cd.length, 12);
  end.writeUInt32LE(opts.zip64End ? 0xffffffff : cdOffset, 16);
  end.writeUInt16LE(comment.length, 20);
  parts.push(end, comment);
  const bytes = Buffer.concat(parts);
  return { bytes, local, central: centralOffsets, eocd: bytes.length - 22 - comment.length };
}

function centralEntry(m: ZipMember, method: number, name: Buffer, compressed: number, offset: number): Buffer {
  const extra = m.zip64 ? Buffer.alloc(4 + 24) : Buffer.alloc(0);
  if (m.zip64) {
    extra.writeUInt16LE(1, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(m.data.length), 4);
    extra.writeBigUInt64LE(BigInt(compressed), 12);
    extra.writeBigUInt64LE(BigInt(offset), 20);
  }
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(0x0314, 4);
  h.writeUInt16LE(m.zip64 ? 45 : 20, 6);
  h.writeUInt16LE(m.flags ?? 0, 8);
  h.writeUInt16LE(method, 10);
  h.writeUInt32LE(crc32(m.data), 16);
  h.writeUInt32LE(m.zip64 ? 0xffffffff : compressed, 20);
  h.writeUInt32LE(m.zip64 ? 0xffffffff : m.data.length, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt32LE(m.zip64 ? 0xffffffff : offset, 42);
  return Buffer.concat([h, name, extra]);
}

function zip64End(entries: number, size: number, offset: number, at: number): Buffer {
  const r = Buffer.alloc(56);
  r.writeUInt32LE(0x06064b50, 0);
  r.writeBigUInt64LE(44n, 4);
  r.writeUInt16LE(45, 12);
  r.writeUInt16LE(45, 14);
  r.writeBigUInt64LE(BigInt(entries), 24);
  r.writeBigUInt64LE(BigInt(entries), 32);
  r.writeBigUInt64LE(BigInt(size), 40);
  r.writeBigUInt64LE(BigInt(offset), 48);
  const loc = Buffer.alloc(20);
  loc.writeUInt32LE(0x07064b50, 0);
  loc.writeBigUInt64LE(BigInt(at), 8);
  loc.writeUInt32LE(1, 16);
  return Buffer.concat([r, loc]);
}

/** A .safetensors: u64 LE length, the header (an object, JSON-encoded, or text/bytes as given), then `data`. */
export function safetensors(header: object | string | Buffer, data: Uint8Array, opts: { headerLength?: bigint } = {}): Buffer {
  const text = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(opts.headerLength ?? BigInt(text.length));
  return Buffer.concat([n, text, data]);
}

/** A numpy descr from the manifest ('<f4', '|b1') → prefork dtype name and whether bytes are swapped. */
export function numpyDescr(descr: string): { dtype: string; bigEndian: boolean } {
  const names: Record<string, string> = {
    f8: 'f64', f4: 'f32', f2: 'f16', i1: 'i8', i2: 'i16', i4: 'i32', i8: 'i64',
    u1: 'u8', u2: 'u16', u4: 'u32', u8: 'u64', b1: 'bool',
  };
  return { dtype: names[descr.slice(1)] ?? `unknown ${descr}`, bigEndian: descr[0] === '>' };
}

/**
 * What a worker should see for `a`: its bytes from `file` inflated, byte-swapped and reordered to C order. A slow,
 * obviously-correct reference for checking plans against the manifest's sha256 of little-endian C-order bytes.
 */
export function referenceBytes(file: Buffer, a: ArrayPlan): Buffer {
  const s = a.source;
  const raw = s.kind === 'range'
    ? file.subarray(s.offset, s.offset + a.byteLength)
    : zlib.inflateRawSync(file.subarray(s.offset, s.offset + s.compressedLength)).subarray(s.skip, s.skip + a.byteLength);
  const size = a.shape.length === 0 || a.byteLength === 0 ? a.byteLength : a.byteLength / a.shape.reduce((x, y) => x * y, 1);
  const out = Buffer.from(raw);
  if (a.swap) for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
  return a.fortran ? fortranToC(out, a.shape, size) : out;
}

function fortranToC(src: Buffer, shape: readonly number[], size: number): Buffer {
  const out = Buffer.alloc(src.length);
  const idx = shape.map(() => 0);
  const count = src.length / size;
  for (let c = 0; c < count; c++) {
    let f = 0;
    for (let k = shape.length - 1; k >= 0; k--) f = f * (shape[k] ?? 1) + (idx[k] ?? 0);
    src.copy(out, c * size, f * size, (f + 1) * size);
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k] = (idx[k] ?? 0) + 1;
      if ((idx[k] ?? 0) < (shape[k] ?? 1)) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** sha256 hex of `b`. */
export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A float64 .npy of `n` copies of `value` (reload and watch tests tell generations apart by it). */
export function filledF64Npy(value: number, n = 1000): Buffer {
  const bytes = npyOf('<f8', [n], 8);
  const header = bytes.length - n * 8;
  for (let i = 0; i < n; i++) bytes.writeDoubleLE(value, header + i * 8);
  return bytes;
}

/** Writes a big float64 .npy of `n` copies of `value` to `file` (atomically: temp file + rename) in 8 MB chunks. */
export function writeFilledF64Npy(file: string, value: number, n: number): void {
  const header = npy(npyDict('<f8', [n]), new Uint8Array(0));
  const chunk = Buffer.alloc(1 << 23);
  for (let i = 0; i < chunk.length; i += 8) chunk.writeDoubleLE(value, i);
  const fd = fs.openSync(`${file}.tmp`, 'w');
  try {
    fs.writeSync(fd, header);
    for (let left = n * 8; left > 0; left -= chunk.length) fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(`${file}.tmp`, file);
}
