// .npy planner: reads the magic, version and the Python-dict header, and says where the array's bytes are and whether
// they need a byte swap or a Fortran-to-C reorder. Only header bytes are read; no size is trusted before it is checked
// against the bytes that back it.
import { datasetError } from '../errors';
import { DTYPE_SIZE, NUMPY_DTYPE, type DType } from './dtypes';
import type { ArrayPlan, DatasetPlan, SourceFile } from './plan';
import { byteLengthOf, formatShape } from './raw';

/** The 6-byte magic every .npy starts with. */
export const NPY_MAGIC = Buffer.from('\x93NUMPY', 'latin1');

/**
 * Longest header text we accept, in bytes. numpy writes about 120 (padded to 64); its reader refuses more than 10000
 * by default (max_header_size, a guard for literal_eval). Our parser is linear, so we allow 1 MiB; the bound turns a
 * corrupt v2/v3 length field (u32) into a clear error and caps how much of a deflated .npz member we inflate.
 */
export const NPY_MAX_HEADER = 1 << 20;

/** What an npy header says, with positions relative to the start of the npy (its magic). */
export interface NpyHeader {
  dtype: DType;
  /** The descr as written, e.g. '>f8', for messages. */
  descr: string;
  shape: number[];
  /** product(shape) * itemsize, checked to be a safe integer. */
  byteLength: number;
  swap: boolean;
  fortran: boolean;
  /** Bytes before the data: magic, version, length field and header text. */
  dataOffset: number;
}

const SUPPORTED = `one of ${Object.keys(NUMPY_DTYPE).join(', ')} after a byte order <, >, | or =`;

interface Prelude {
  textStart: number;
  textLength: number;
  utf8: boolean;
}

/** Magic, version and header length; throws TRUNCATED when `buf` is too short to hold them. */
function readPrelude(buf: Buffer, file: string, what: string): Prelude {
  const have = Math.min(buf.length, NPY_MAGIC.length);
  if (!buf.subarray(0, have).equals(NPY_MAGIC.subarray(0, have))) {
    const got = [...buf.subarray(0, NPY_MAGIC.length)].map(b => b.toString(16).padStart(2, '0')).join(' ');
    throw datasetError('PREFORK_DATASET_BAD_HEADER', file, `${what} magic: expected the bytes 93 4e 55 4d 50 59 (\\x93NUMPY), got ${got}`);
  }
  if (buf.length < 8) throw tooShort(file, what, 'magic, version and header length', 10, buf.length);
  const major = buf[6] ?? 0;
  const minor = buf[7] ?? 0;
  if (minor !== 0 || major < 1 || major > 3) {
    throw datasetError('PREFORK_DATASET_BAD_HEADER', file, `${what} version: expected 1.0, 2.0 or 3.0, got ${major}.${minor}`);
  }
  const textStart = major === 1 ? 10 : 12;
  if (buf.length < textStart) throw tooShort(file, what, `version ${major}.0 header length field`, textStart, buf.length);
  const textLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  if (textLength > NPY_MAX_HEADER) {
    throw datasetError('PREFORK_DATASET_BAD_HEADER', file, `${what} length: expected at most ${NPY_MAX_HEADER} bytes, got ${textLength}`);
  }
  return { textStart, textLength, utf8: major === 3 };
}

function tooShort(file: string, what: string, part: string, need: number, have: number): Error {
  return datasetError('PREFORK_DATASET_TRUNCATED', file, `${what}: needs ${need} bytes for the ${part}, only ${have} available`);
}

/** Total size of magic + version + length field + header text, from the first 10 (v1) or 12 (v2, v3) bytes. */
export function npyHeaderSize(buf: Buffer, file: string, what: string): number {
  const p = readPrelude(buf, file, what);
  return p.textStart + p.textLength;
}

/**
 * Parses a whole npy header from `buf` (the npy's first bytes). Shared by .npy and .npz (whose deflated members are
 * inflated only as far as the header); throws PREFORK_DATASET_TRUNCATED when `buf` is too short, so a caller can retry
 * with more bytes. `what` labels the header in messages: 'header', or "member 'a.npy' header".
 */
export function parseNpyHeader(buf: Buffer, file: string, what: string): NpyHeader {
  const p = readPrelude(buf, file, what);
  const end = p.textStart + p.textLength;
  if (buf.length < end) throw tooShort(file, what, `header text (length field says ${p.textLength})`, end, buf.length);
  const text = decodeText(buf.subarray(p.textStart, end), p.utf8, file, what);
  const dict = parseHeaderDict(text, file, what);
  const { dtype, descr, swap } = readDescr(dict.get('descr'), file, what);
  const shape = readShape(dict.get('shape'), file, what, !p.utf8);
  const fortranOrder = readFortran(dict.get('fortran_order'), file, what);
  const byteLength = byteLengthOf(shape, dtype);
  if (byteLength === undefined) {
    throw datasetError('PREFORK_DATASET_BAD_SHAPE', file, `${what} 'shape': ${formatShape(shape)} of ${descr} has more bytes than fit in memory`);
  }
  return { dtype, descr, shape, byteLength, swap, fortran: fortranOrder && shape.length > 1, dataOffset: end };
}

function decodeText(bytes: Buffer, utf8: boolean, file: string, what: string): string {
  if (!utf8) return bytes.toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw datasetError('PREFORK_DATASET_BAD_HEADER', file, `${what}: expected UTF-8 text (version 3.0), got invalid UTF-8`);
  }
}

function readDescr(v: Lit | undefined, file: string, what: string): { dtype: DType; descr: string; swap: boolean } {
  if (v?.kind === 'seq') {
    throw datasetError('PREFORK_DATASET_BAD_DTYPE', file, `${what} 'descr': structured dtype ${clip(v.text)} is not supported; expected ${SUPPORTED}`);
  }
  if (v?.kind !== 'str') throw datasetError('PREFORK_DATASET_BAD_HEADER', file, `${what} 'descr': expected a string such as '<f4', got ${clip(v?.text ?? '')}`);
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(v.value);
  const dtype = m ? NUMPY_DTYPE[`${m[2]}${m[3]}`] : undefined;
  if (!m || dtype === undefined) {
    const object = /^[<>|=]?O\d*$/.test(v.value) ? ' (object arrays hold pickled Python objects and cannot be shared)' : '';
    throw datasetError('PREFORK_DATASET_BAD_DTYPE', file, `${what} 'descr': unsupported dtype ${clip(v.text)}${object}; expected ${SUPPORTED}`);
  }
  // '=' is native order, '|' is "not applicable": both are little endian on every platform prefork runs on.
  return { dtype, descr: v.value, swap: m[1] === '>' && DTYPE_SIZE[dtype] > 1 };
}

/**
 * The shape tuple. Each dimension is read exactly from its digits (BigInt). `longs` allows the `L` of a Python 2 long,
 * `(2L, 3L)`, as Python 2 numpy wrote versions 1.0 and 2.0 (numpy still reads them; version 3.0 is Python 3 only, and
 * numbers appear nowhere else in a header). A dimension beyond 2^53 - 1 cannot be a JavaScript number, so it is
 * refused saying so, except in an empty array (another dimension is 0: numpy loads `(0, 2**61)`) when a float64 holds
 * it exactly, so the worker API's meta().shape still tells the truth.
 */
function readShape(v: Lit | undefined, file: string, what: string, longs: boolean): number[] {
  const dim = (d: Lit) => (d.kind === 'num' && d.int && (longs || !d.text.endsWith('L')) ? BigInt(d.text.replace(/L$/, '')) : -1n);
  const exact = v?.kind === 'seq' && v.open === '(' ? v.items.map(dim) : undefined;
  if (v === undefined || exact === undefined || exact.some(d => d < 0n)) {
    throw datasetError('PREFORK_DATASET_BAD_SHAPE', file, `${what} 'shape': expected a tuple of non-negative integers, got ${clip(v?.text ?? '')}`);
  }
  const empty = exact.includes(0n);
  return exact.map(d => {
    const n = Number(d);
    if (Number.isSafeInteger(n) || (empty && BigInt(n) === d)) return n;
    const inexact = empty ? ' and a float64 cannot hold it exactly' : '';
    throw datasetError('PREFORK_DATASET_BAD_SHAPE', file, `${what} 'shape': dimension ${d} in ${clip(v.text)} is beyond JavaScript's safe integers (2^53 - 1)${inexact}`);
  });
}

function readFortran(v: Lit | undefined, file: string, what: string): boolean {
  if (v?.kind !== 'bool') throw datasetError('PREFORK_DATASET_BAD_HEADER', file, `${what} 'fortran_order': expected True or False, got ${clip(v?.text ?? '')}`);
  return v.value;
}

/** Source text of a header value, shortened for a message. */
function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Checks that exactly `available` bytes follow the header: fewer is TRUNCATED, more is SIZE_MISMATCH. */
export function checkNpyData(h: NpyHeader, available: number, file: string, what: string): void {
  if (available === h.byteLength) return;
  const says = `shape ${formatShape(h.shape)} of '${h.descr}' needs ${h.byteLength} bytes after the header`;
  if (available < h.byteLength) throw datasetError('PREFORK_DATASET_TRUNCATED', file, `${what}: ${says}, only ${available} follow it`);
  throw datasetError('PREFORK_DATASET_SIZE_MISMATCH', file, `${what}: ${says}, got ${available} (an npy has no trailing bytes)`);
}

/** Plans the npy stored in bytes [base, base + length) of `src` (a whole .npy, or a stored .npz member). */
export function planNpyArray(src: SourceFile, base: number, length: number, key: string, member?: string): ArrayPlan {
  const what = member === undefined ? 'header' : `member '${member}' header`;
  const total = npyHeaderSize(src.read(base, Math.min(length, 12), what), src.path, what);
  if (total > length) throw tooShort(src.path, what, 'header', total, length);
  const h = parseNpyHeader(src.read(base, total, what), src.path, what);
  checkNpyData(h, length - total, src.path, member === undefined ? 'data' : `member '${member}' data`);
  return { key, dtype: h.dtype, shape: h.shape, byteLength: h.byteLength, swap: h.swap, fortran: h.fortran, source: { kind: 'range', offset: base + total } };
}

/** Plans a .npy file (or the npy that starts at `base` and runs to the end of the file). */
export function planNpy(src: SourceFile, base = 0, key = ''): DatasetPlan {
  return { format: 'npy', arrays: [planNpyArray(src, base, src.size - base, key)], metadata: {} };
}

// --- The header literal: a strict parser for the subset of Python that numpy writes ---------------------------------
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } : strings in ' or " (no escapes), True, False, None,
// numbers (integers may carry Python 2's long suffix, 3L), tuples and lists (lists only appear in structured descrs,
// which are rejected with a clear message).

/** A parsed header value, with its source text for messages. */
type Lit =
  | { kind: 'str'; value: string; text: string }
  | { kind: 'bool'; value: boolean; text: string }
  | { kind: 'none'; text: string }
  /** `int` for digits only, with an optional sign and Python 2's long suffix `L`. */
  | { kind: 'num'; value: number; int: boolean; text: string }
  | { kind: 'seq'; open: '(' | '['; items: Lit[]; text: string };

const KEYS = ['descr', 'fortran_order', 'shape'];
const MAX_DEPTH = 16;

interface Cursor {
  s: string;
  i: number;
  fail(expected: string): never;
}

/** Parses the header text into its three keys; anything outside the subset is PREFORK_DATASET_BAD_HEADER. */
function parseHeaderDict(s: string, file: string, what: string): Map<string, Lit> {
  const c: Cursor = {
    s,
    i: 0,
    fail(expected: string): never {
      const got = this.i >= s.length ? 'the end of the header' : JSON.stringify(s.slice(this.i, this.i + 20));
      throw datasetError('PREFORK_DATASET_BAD_HEADER', file, `${what}: expected ${expected} at character ${this.i}, got ${got}`);
    },
  };
  const dict = parseDict(c);
  skipSpace(c);
  if (c.i < s.length) c.fail('only spaces after the closing }');
  for (const k of dict.keys()) {
    if (!KEYS.includes(k)) throw datasetError('PREFORK_DATASET_BAD_HEADER', file, `${what}: unexpected key '${k}'; expected only 'descr', 'fortran_order' and 'shape'`);
  }
  for (const k of KEYS) {
    if (!dict.has(k)) throw datasetError('PREFORK_DATASET_BAD_HEADER', file, `${what}: missing key '${k}'; expected 'descr', 'fortran_order' and 'shape'`);
  }
  return dict;
}

function skipSpace(c: Cursor): void {
  while (c.i < c.s.length && ' \t\r\n'.includes(c.s[c.i] ?? '')) c.i++;
}

/** Consumes `ch` (after spaces) if it is next. */
function eat(c: Cursor, ch: string): boolean {
  skipSpace(c);
  if (c.s[c.i] !== ch) return false;
  c.i++;
  return true;
}

function parseDict(c: Cursor): Map<string, Lit> {
  const dict = new Map<string, Lit>();
  if (!eat(c, '{')) c.fail("'{'");
  while (!eat(c, '}')) {
    skipSpace(c);
    const at = c.i;
    const quote = c.s[c.i];
    if (quote !== "'" && quote !== '"') c.fail("a quoted key or '}'");
    const key = parseString(c, quote);
    if (dict.has(key.value)) {
      c.i = at;
      c.fail(`each key once, but '${key.value}' appears again`);
    }
    if (!eat(c, ':')) c.fail("':'");
    dict.set(key.value, parseValue(c, 1));
    if (eat(c, '}')) break;
    if (!eat(c, ',')) c.fail("',' or '}'");
  }
  return dict;
}

function parseValue(c: Cursor, depth: number): Lit {
  skipSpace(c);
  const ch = c.s[c.i];
  if (ch === "'" || ch === '"') return parseString(c, ch);
  if (ch === '(' || ch === '[') return parseSeq(c, ch, depth);
  const word = /^(?:True|False|None|[+-]?\d+L|[+-]?(?:\d+(\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/.exec(c.s.slice(c.i, c.i + 40))?.[0];
  if (word === undefined) c.fail('a string, number, True, False or tuple');
  c.i += word.length;
  if (word === 'True' || word === 'False') return { kind: 'bool', value: word === 'True', text: word };
  if (word === 'None') return { kind: 'none', text: word };
  return { kind: 'num', value: Number(word.replace(/L$/, '')), int: /^[+-]?\d+L?$/.test(word), text: word };
}

function parseString(c: Cursor, quote: string): Extract<Lit, { kind: 'str' }> {
  const start = c.i;
  const end = c.s.indexOf(quote, start + 1);
  if (end < 0) c.fail(`a closing ${quote}`);
  const value = c.s.slice(start + 1, end);
  if (value.includes('\\') || value.includes('\n')) c.fail('a plain string without escapes or newlines');
  c.i = end + 1;
  return { kind: 'str', value, text: c.s.slice(start, c.i) };
}

function parseSeq(c: Cursor, open: '(' | '[', depth: number): Lit {
  if (depth > MAX_DEPTH) c.fail(`at most ${MAX_DEPTH} levels of nesting`);
  const start = c.i++;
  const close = open === '(' ? ')' : ']';
  const items: Lit[] = [];
  let comma = false;
  while (!eat(c, close)) {
    if (items.length > 0 && !comma) c.fail(`',' or '${close}'`);
    items.push(parseValue(c, depth + 1));
    comma = eat(c, ',');
  }
  const text = c.s.slice(start, c.i);
  // Python: (5) is the number 5, not a tuple; only (5,) is a 1-tuple.
  const only = items[0];
  if (open === '(' && items.length === 1 && !comma && only) return { ...only, text };
  return { kind: 'seq', open, items, text };
}
