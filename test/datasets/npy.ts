import t from 'tap';
import { DTYPE_SIZE, type DType } from '../../src/datasets/dtypes';
import { NPY_MAX_HEADER, parseNpyHeader, planNpy } from '../../src/datasets/npy';
import { memorySource, openSource } from '../../src/datasets/source';
import { fixture, FIXTURES, manifest, npy, npyDict, npyOf, numpyDescr, referenceBytes, sha256, tempFile, throwsPrefork } from '../helpers/build';

const plan = (name: string, bytes: Uint8Array) => planNpy(memorySource(name, bytes));
const only = (name: string, bytes: Uint8Array) => {
  const a = plan(name, bytes).arrays[0];
  if (a === undefined) throw new Error('no array');
  return a;
};

t.test('every .npy fixture plans to the manifest dtype, shape, flags and bytes', async t => {
  const files = Object.entries(manifest()).filter(([, f]) => f.format === 'npy');
  t.ok(files.length >= 15, 'all npy fixtures are listed');
  for (const [name, m] of files) {
    const want = m.arrays[''];
    if (want === undefined) throw new Error(`${name}: no '' array in the manifest`);
    const src = openSource(`${FIXTURES}/${name}`);
    const p = planNpy(src);
    src.close();
    const a = p.arrays[0];
    if (a === undefined) throw new Error('no array');
    const { dtype, bigEndian } = numpyDescr(want.dtype);
    t.equal(p.format, 'npy', name);
    t.equal(p.arrays.length, 1, `${name}: one array`);
    t.equal(a.key, '', `${name}: key`);
    t.equal(a.dtype, dtype, `${name}: dtype ${want.dtype}`);
    t.same(a.shape, want.shape, `${name}: shape`);
    t.equal(a.byteLength, want.count * DTYPE_SIZE[a.dtype], `${name}: byteLength`);
    t.equal(a.swap, bigEndian && DTYPE_SIZE[a.dtype] > 1, `${name}: swap`);
    // The manifest does not record the order; only this fixture was saved with fortran_order=True.
    t.equal(a.fortran, name === 'f64_fortran.npy', `${name}: fortran`);
    t.equal(a.source.kind === 'range' && a.source.offset + a.byteLength, src.size, `${name}: data runs to the end of the file`);
    t.equal(sha256(referenceBytes(fixture(name), a)), want.sha256_le_c, `${name}: bytes match the manifest's sha256`);
  }
});

t.test('byte orders, 0-d and empty arrays, Fortran flags', async t => {
  t.equal(only('a.npy', npyOf('>f8', [3], 8)).swap, true, "'>f8' swaps");
  t.equal(only('a.npy', npyOf('>u1', [3], 1)).swap, false, "'>u1' has nothing to swap");
  t.equal(only('a.npy', npyOf('=i4', [3], 4)).swap, false, "'=' is native little endian");
  t.equal(only('a.npy', npyOf('|b1', [3], 1)).dtype, 'bool');
  t.equal(only('a.npy', npyOf('<f4', [3], 4, true)).fortran, false, 'a 1-d Fortran array is already C order');
  t.equal(only('a.npy', npyOf('<f4', [3, 2], 4, true)).fortran, true);
  const scalar = only('a.npy', npyOf('<f8', [], 8));
  t.same([scalar.shape, scalar.byteLength], [[], 8], '() has one element');
  const empty = only('a.npy', npy(npyDict('<f8', [5, 0, 1000000])));
  t.same([empty.shape, empty.byteLength], [[5, 0, 1000000], 0], 'a 0 dimension has no bytes');
  const zeroFirst = only('a.npy', npy(npyDict('<f8', [0, 2 ** 40, 2 ** 40])));
  t.equal(zeroFirst.byteLength, 0, 'huge dimensions beside a 0 are fine');
  const dtypes: [string, DType][] = [['<f2', 'f16'], ['<i1', 'i8'], ['<i2', 'i16'], ['<i8', 'i64'], ['<u4', 'u32'], ['<u8', 'u64']];
  for (const [descr, dtype] of dtypes) t.equal(only('a.npy', npyOf(descr, [2], DTYPE_SIZE[dtype])).dtype, dtype, descr);
});

t.test('header literal subset: double quotes, no trailing comma, any key order, v2 and v3 headers', async t => {
  const data = new Uint8Array(16);
  const a = only('a.npy', npy(`{"shape": (2,2), "descr": "<f4", "fortran_order": False}`, data));
  t.same([a.dtype, a.shape], ['f32', [2, 2]]);
  t.same(only('a.npy', npy(npyDict('<f4', [4]), data, { version: 2 })).shape, [4]);
  t.same(only('a.npy', npy(`${npyDict('<f4', [4])}  `, data, { version: 3 })).shape, [4]);
});

t.test("Python 2 headers: the L of a long on shape integers, as numpy's own test data has it", async t => {
  const py2 = (shape: string, version: 1 | 2 | 3 = 1) => npy(`{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`, new Uint8Array(48), { version });
  t.same(only('a.npy', py2('(2L, 3L)')).shape, [2, 3], '(2L, 3L)');
  t.same(only('a.npy', py2('(6L,)')).shape, [6], '(6L,)');
  t.same(only('a.npy', py2('(2L, 3)', 2)).shape, [2, 3], 'mixed, in a version 2.0 header');
  t.equal(only('a.npy', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0L, 2305843009213693952L), }")).byteLength, 0, 'a huge long beside 0');
  throwsPrefork(t, () => plan('f.npy', py2('(2L, 3L)', 3)), 'PREFORK_DATASET_BAD_SHAPE', "f.npy: header 'shape': expected a tuple of non-negative integers, got (2L, 3L)");
  for (const shape of ['(2l, 3)', '(2.0L, 3)', '(2 L, 3)']) {
    throwsPrefork(t, () => plan('f.npy', py2(shape)), 'PREFORK_DATASET_BAD_HEADER', "f.npy: header: expected ',' or ')'");
  }
  throwsPrefork(t, () => plan('f.npy', py2('(-2L, 3)')), 'PREFORK_DATASET_BAD_SHAPE', 'expected a tuple of non-negative integers, got (-2L, 3)');
  throwsPrefork(t, () => plan('f.npy', npy("{'descr': '<f8', 'fortran_order': 0L, 'shape': (6,), }", new Uint8Array(48))), 'PREFORK_DATASET_BAD_HEADER', "'fortran_order': expected True or False, got 0L");
});

t.test('a dimension beyond 2^53 - 1: kept in an empty array when exact, else refused saying why', async t => {
  const shaped = (shape: string) => npy(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`, new Uint8Array(12));
  const empty = only('a.npy', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2305843009213693952), }"));
  t.same([empty.shape, empty.byteLength], [[0, 2 ** 61], 0], '(0, 2**61) loads, as in numpy, with its exact dimension');
  const fortran = only('a.npy', npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2305843009213693952, 3, 0), }"));
  t.same([fortran.shape, fortran.fortran], [[2 ** 61, 3, 0], true], 'Fortran order and the 0 last');
  throwsPrefork(t, () => plan('f.npy', npy(npyDict('<f8', [0, 2 ** 61]))), 'PREFORK_DATASET_BAD_SHAPE', 'dimension 2305843009213694000 in (0, 2305843009213694000)', 'a float64 cannot hold it exactly');
  throwsPrefork(t, () => plan('f.npy', shaped('(3, 2305843009213693952)')), 'PREFORK_DATASET_BAD_SHAPE', "f.npy: header 'shape': dimension 2305843009213693952 in (3, 2305843009213693952) is beyond JavaScript's safe integers (2^53 - 1)");
  throwsPrefork(t, () => plan('f.npy', shaped('(9007199254740992,)')), 'PREFORK_DATASET_BAD_SHAPE', "dimension 9007199254740992 in (9007199254740992,) is beyond JavaScript's safe integers");
  throwsPrefork(t, () => plan('f.npy', shaped('(0, 2305843009213693953)')), 'PREFORK_DATASET_BAD_SHAPE', "f.npy: header 'shape': dimension 2305843009213693953 in (0, 2305843009213693953) is beyond JavaScript's safe integers (2^53 - 1) and a float64 cannot hold it exactly");
  t.same(only('a.npy', npy(npyDict('<f8', [0, 2 ** 53 - 1]))).shape, [0, 2 ** 53 - 1], 'the largest safe integer is a dimension like any other');
});

t.test('an npy inside a larger file: planNpy(src, base, key)', async t => {
  const inner = npyOf('<i4', [3], 4);
  const bytes = Buffer.concat([Buffer.alloc(100, 7), inner]);
  const p = planNpy(memorySource('x.bin', bytes), 100, 'k');
  t.same(p.arrays[0], { key: 'k', dtype: 'i32', shape: [3], byteLength: 12, swap: false, fortran: false, source: { kind: 'range', offset: 100 + inner.length - 12 } });
});

t.test('parseNpyHeader throws TRUNCATED on a short prefix, so a caller can retry with more bytes', async t => {
  const whole = npyOf('<f4', [3], 4);
  for (const n of [0, 5, 9, 40, 127]) throwsPrefork(t, () => parseNpyHeader(whole.subarray(0, n), 'b.npz', "member 'a.npy' header"), 'PREFORK_DATASET_TRUNCATED', 'b.npz', "member 'a.npy' header", 'needs');
  t.equal(parseNpyHeader(whole.subarray(0, 128), 'b.npz', 'header').dataOffset, 128);
});

t.test('rejects truncated data and trailing bytes', async t => {
  const dict = npyDict('<f4', [3, 4]);
  throwsPrefork(t, () => plan('x.npy', npy(dict, new Uint8Array(40))), 'PREFORK_DATASET_TRUNCATED', 'x.npy: data: shape (3, 4) of \'<f4\' needs 48 bytes after the header, only 40 follow it');
  throwsPrefork(t, () => plan('x.npy', npy(dict, new Uint8Array(52))), 'PREFORK_DATASET_SIZE_MISMATCH', 'x.npy: data:', 'needs 48 bytes', 'got 52');
  throwsPrefork(t, () => plan('x.npy', npy(dict).subarray(0, 30)), 'PREFORK_DATASET_TRUNCATED', 'x.npy: header', 'needs 128 bytes');
});

t.test('rejects an empty file', async t => {
  throwsPrefork(t, () => openSource(tempFile('empty.npy', new Uint8Array(0))), 'PREFORK_DATASET_EMPTY', 'empty.npy', 'file is empty');
  throwsPrefork(t, () => plan('empty.npy', new Uint8Array(0)), 'PREFORK_DATASET_TRUNCATED', 'empty.npy: header', 'needs 10 bytes', 'only 0');
});

t.test('rejects a header length beyond the cap or the file', async t => {
  const dict = npyDict('<f4', [1]);
  throwsPrefork(t, () => plan('x.npy', npy(dict, new Uint8Array(4), { version: 2, headerLength: NPY_MAX_HEADER + 1 })), 'PREFORK_DATASET_BAD_HEADER', `x.npy: header length: expected at most ${NPY_MAX_HEADER} bytes, got ${NPY_MAX_HEADER + 1}`);
  throwsPrefork(t, () => plan('x.npy', npy(dict, new Uint8Array(4), { version: 3, headerLength: 0xffffffff })), 'PREFORK_DATASET_BAD_HEADER', 'x.npy: header length', '4294967295');
  throwsPrefork(t, () => plan('x.npy', npy(dict, new Uint8Array(4), { headerLength: 5000 })), 'PREFORK_DATASET_TRUNCATED', 'x.npy: header', 'needs 5010 bytes');
});

t.test('rejects bad magic and versions', async t => {
  const good = npyOf('<f4', [1], 4);
  throwsPrefork(t, () => plan('x.npy', Buffer.from('PK\x03\x04 not an npy')), 'PREFORK_DATASET_BAD_HEADER', 'x.npy: header magic: expected the bytes 93 4e 55 4d 50 59', 'got 50 4b 03 04');
  for (const [major, minor] of [[4, 0], [1, 1], [0, 0]] as const) {
    const b = Buffer.from(good);
    b[6] = major;
    b[7] = minor;
    throwsPrefork(t, () => plan('x.npy', b), 'PREFORK_DATASET_BAD_HEADER', `x.npy: header version: expected 1.0, 2.0 or 3.0, got ${major}.${minor}`);
  }
});

t.test('rejects invalid header syntax', async t => {
  const cases = [
    ["{'descr' '<f4', 'fortran_order': False, 'shape': (1,), }", "expected ':'"],
    ["{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }", 'expected'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), ", "expected a quoted key or '}' at character 118, got the end of the header"],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", 'only spaces after the closing }'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1 2), }", "expected ',' or ')'"],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,,), }", 'expected a string, number'],
    ["{descr: '<f4', 'fortran_order': False, 'shape': (1,), }", "expected a quoted key or '}' at character 1, got \"descr"],
    ["{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "each key once, but 'descr' appears again"],
    ["{'descr': '<f4', 'shape': (1,), }", "missing key 'fortran_order'"],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", "unexpected key 'x'"],
    ["{'descr': '<f\\x34', 'fortran_order': False, 'shape': (1,), }", 'without escapes'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': " + '('.repeat(40) + ')'.repeat(40) + '}', 'at most 16 levels'],
    ["{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", "header 'fortran_order': expected True or False, got 0"],
    ["{'descr': 5, 'fortran_order': False, 'shape': (1,), }", "header 'descr': expected a string"],
    ['', "expected '{'"],
  ];
  for (const [dict, part] of cases) {
    throwsPrefork(t, () => plan('x.npy', npy(dict ?? '', new Uint8Array(4))), 'PREFORK_DATASET_BAD_HEADER', 'x.npy: header', part ?? '');
  }
  const badUtf8 = npy(npyDict('<f4', [1]), new Uint8Array(4), { version: 3 });
  badUtf8[20] = 0xff;
  throwsPrefork(t, () => plan('x.npy', badUtf8), 'PREFORK_DATASET_BAD_HEADER', 'x.npy: header: expected UTF-8 text (version 3.0)');
});

t.test('rejects unknown, unsupported and object dtypes, naming the descr and what is supported', async t => {
  for (const descr of ['<c16', '<U10', '|S5', '|V8', '<M8[ns]', '<m8[s]', '<f16', 'float32', '<f4 ', '']) {
    throwsPrefork(t, () => plan('x.npy', npy(npyDict(descr, [1]), new Uint8Array(16))), 'PREFORK_DATASET_BAD_DTYPE', `x.npy: header 'descr': unsupported dtype '${descr}'`, 'expected one of f8, f4, f2, i1', 'byte order <, >, | or =');
  }
  throwsPrefork(t, () => plan('x.npy', npy(npyDict('|O', [1]), new Uint8Array(8))), 'PREFORK_DATASET_BAD_DTYPE', "x.npy: header 'descr': unsupported dtype '|O' (object arrays hold pickled Python objects", 'expected one of');
  throwsPrefork(t, () => plan('x.npy', npy("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8))), 'PREFORK_DATASET_BAD_DTYPE', "x.npy: header 'descr': structured dtype [('a', '<f4'), ('b', '<i4')] is not supported");
});

t.test('rejects negative, non-integer and overflowing dimensions', async t => {
  const shaped = (shape: string) => npy(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`, new Uint8Array(12));
  throwsPrefork(t, () => plan('f.npy', shaped('(3, -1)')), 'PREFORK_DATASET_BAD_SHAPE', "f.npy: header 'shape': expected a tuple of non-negative integers, got (3, -1)");
  for (const shape of ['(3.0,)', '(1e3,)', "('a',)", '[3]', '(3)', '3', 'None', '((3,),)', '(True,)']) {
    throwsPrefork(t, () => plan('f.npy', shaped(shape)), 'PREFORK_DATASET_BAD_SHAPE', `f.npy: header 'shape': expected a tuple of non-negative integers, got ${shape}`);
  }
  throwsPrefork(t, () => plan('f.npy', shaped('(99999999999999999999,)')), 'PREFORK_DATASET_BAD_SHAPE', "f.npy: header 'shape': dimension 99999999999999999999 in (99999999999999999999,) is beyond JavaScript's safe integers (2^53 - 1)");
  throwsPrefork(t, () => plan('f.npy', shaped('(1073741824, 1073741824, 1073741824)')), 'PREFORK_DATASET_BAD_SHAPE', "f.npy: header 'shape': (1073741824, 1073741824, 1073741824) of <f4 has more bytes than fit in memory");
  throwsPrefork(t, () => plan('f.npy', shaped('(1048576, 1048576)')), 'PREFORK_DATASET_TRUNCATED', 'f.npy: data', 'needs 4398046511104 bytes after the header, only 12 follow it');
});
