#!/usr/bin/env node
// Writes the recommender's item-embedding matrix: float32, ROWS x DIM, every row L2-normalised, as a .npy (v1) file.
// Deterministic: the same options give the same bytes. Item i lies near cluster centre (i % clusters), so the
// nearest neighbours of an item are mostly items with the same id modulo `clusters` (easy to eyeball with curl).
//
//   node examples/recommender/make-data.js [--rows 100000] [--dim 64] [--clusters 256] [--seed 42]
//                                          [--out examples/recommender/data/items.npy] [--if-missing]
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const DEFAULTS = Object.freeze({
  rows: 100_000,
  dim: 64,
  clusters: 256,
  seed: 42,
  out: path.join(__dirname, 'data', 'items.npy'),
});

/** mulberry32: a tiny seeded 32-bit generator; returns floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform generator (Box-Muller; the second value of each pair is kept). */
function gaussian(uniform) {
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    const u = 1 - uniform(); // (0, 1]: log(u) is finite
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Scales row `i` of a row-major matrix to unit length in place. */
function normaliseRow(m, i, dim) {
  let s = 0;
  for (let j = 0; j < dim; j++) s += m[i * dim + j] * m[i * dim + j];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let j = 0; j < dim; j++) m[i * dim + j] *= inv;
}

/** The embedding matrix as a Float32Array of rows * dim values: cluster centre + noise, each row of unit length. */
function generateItems(options = {}) {
  const { rows, dim, clusters, seed } = { ...DEFAULTS, ...options };
  const randn = gaussian(mulberry32(seed));
  const centres = new Float64Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = randn();
  for (let c = 0; c < clusters; c++) normaliseRow(centres, c, dim);
  const noise = 0.6 / Math.sqrt(dim); // per-coordinate; the noise vector's length is about 0.6
  const m = new Float32Array(rows * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < rows; i++) {
    const c = (i % clusters) * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) {
      row[j] = centres[c + j] + noise * randn();
      s += row[j] * row[j];
    }
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) m[i * dim + j] = row[j] * inv;
  }
  return m;
}

/** A .npy v1.0 header for a little-endian C-order array, padded so the data starts at a multiple of 64 bytes. */
function npyHeader(descr, shape) {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const unpadded = 10 + dict.length + 1; // magic(6) + version(2) + header length(2) + dict + '\n'
  const total = Math.ceil(unpadded / 64) * 64;
  const headerLen = total - 10;
  if (headerLen > 0xffff) throw new Error(`npy header too long for v1.0: ${headerLen} bytes`);
  const b = Buffer.alloc(total, 0x20);
  b.write('\x93NUMPY', 0, 'latin1');
  b[6] = 1;
  b[7] = 0;
  b.writeUInt16LE(headerLen, 8);
  b.write(dict, 10, 'latin1');
  b[total - 1] = 0x0a;
  return b;
}

/** Writes a Float32Array as an f32 .npy of `shape`, atomically (temp file + rename), creating the directory. */
function writeNpyF32(file, data, shape) {
  const count = shape.reduce((p, d) => p * d, 1);
  if (count !== data.length) throw new Error(`shape ${JSON.stringify(shape)} holds ${count} values, got ${data.length}`);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('this writer assumes a little-endian host');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, npyHeader('<f4', shape));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const CHUNK = 16 << 20;
    for (let off = 0; off < bytes.length; off += CHUNK) fs.writeSync(fd, bytes.subarray(off, Math.min(off + CHUNK, bytes.length)));
    fs.closeSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.renameSync(tmp, file);
}

/** Generates the matrix and writes it to `options.out`; returns what was written. */
function makeData(options = {}) {
  const o = { ...DEFAULTS, ...options };
  const t0 = process.hrtime.bigint();
  const data = generateItems(o);
  writeNpyF32(o.out, data, [o.rows, o.dim]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { file: o.out, rows: o.rows, dim: o.dim, bytes: data.byteLength, ms };
}

function parseArgs(argv) {
  const o = { ...DEFAULTS, ifMissing: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--if-missing') {
      o.ifMissing = true;
      continue;
    }
    const m = /^--(rows|dim|clusters|seed|out)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument '${a}'`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value`);
    if (m[1] === 'out') {
      o.out = path.resolve(value);
    } else {
      const n = Number(value);
      const min = m[1] === 'seed' ? 0 : 1;
      if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${m[1]} must be an integer >= ${min}, got '${value}'`);
      o[m[1]] = n;
    }
  }
  return o;
}

/** `file` relative to the working directory when it lies below it, else absolute. */
function shown(file) {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

if (require.main === module) {
  try {
    const o = parseArgs(process.argv.slice(2));
    if (o.ifMissing && fs.existsSync(o.out)) {
      console.log(`${shown(o.out)} exists; not regenerating`);
    } else {
      const r = makeData(o);
      console.log(`wrote ${shown(r.file)}: ${r.rows} x ${r.dim} f32, ${(r.bytes / 1e6).toFixed(1)} MB in ${r.ms.toFixed(0)} ms`);
    }
  } catch (e) {
    console.error(`make-data: ${e.message}`);
    process.exitCode = 2;
  }
}

module.exports = { DEFAULTS, generateItems, npyHeader, writeNpyF32, makeData };
