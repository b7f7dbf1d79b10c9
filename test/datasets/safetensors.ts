import t from 'tap';
import { DTYPE_SIZE } from '../../src/datasets/dtypes';
import { planSafetensors, SAFETENSORS_MAX_HEADER } from '../../src/datasets/safetensors';
import { memorySource, openSource } from '../../src/datasets/source';
import { fixture, FIXTURES, manifest, numpyDescr, referenceBytes, safetensors, sha256, tempFile, throwsPrefork } from '../helpers/build';

const plan = (bytes: Uint8Array, name = 'm.safetensors') => planSafetensors(memorySource(name, bytes));

t.test('every .safetensors fixture plans to the manifest arrays, sorted by name, with its metadata', async t => {
  const files = Object.entries(manifest()).filter(([, f]) => f.format === 'safetensors');
  t.equal(files.length, 3);
  for (const [name, m] of files) {
    const src = openSource(`${FIXTURES}/${name}`);
    const p = planSafetensors(src);
    src.close();
    t.equal(p.format, 'safetensors');
    t.same(p.metadata, m.metadata ?? {}, `${name}: metadata`);
    t.same(p.arrays.map(a => a.key), Object.keys(m.arrays).sort(), `${name}: keys sorted by name`);
    for (const a of p.arrays) {
      const want = m.arrays[a.key];
      if (want === undefined) throw new Error(`${name}: unexpected ${a.key}`);
      t.equal(a.dtype, numpyDescr(want.dtype).dtype, `${name}/${a.key}: dtype`);
      t.same(a.shape, want.shape, `${name}/${a.key}: shape`);
      t.equal(a.byteLength, want.count * DTYPE_SIZE[a.dtype], `${name}/${a.key}: byteLength`);
      t.same([a.swap, a.fortran, a.source.kind], [false, false, 'range']);
      t.equal(sha256(referenceBytes(fixture(name), a)), want.sha256_le_c, `${name}/${a.key}: bytes match the manifest`);
    }
  }
});

const f32 = (begin: number, shape: number[] = [2]) => ({ dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((x, y) => x * y, 1)] });

t.test('0-d and empty tensors, padding spaces, tensors in any offset order', async t => {
  const header = { b: f32(4, []), a: { dtype: 'F64', shape: [0, 5], data_offsets: [12, 12] }, c: f32(0, [1]), d: f32(8, []), __metadata__: { k: 'v' } };
  const p = plan(safetensors(`${JSON.stringify(header)}        `, new Uint8Array(12)));
  t.same(p.arrays.map(a => [a.key, a.shape, a.byteLength, a.source.kind === 'range' && a.source.offset]), [
    ['a', [0, 5], 0, 8 + JSON.stringify(header).length + 8 + 12],
    ['b', [], 4, 8 + JSON.stringify(header).length + 8 + 4],
    ['c', [1], 4, 8 + JSON.stringify(header).length + 8],
    ['d', [], 4, 8 + JSON.stringify(header).length + 8 + 8],
  ]);
  t.same(p.metadata, { k: 'v' });
});

t.test('rejects a header length beyond the cap or the file, and files too short for the length', async t => {
  throwsPrefork(t, () => plan(safetensors({ a: f32(0) }, new Uint8Array(8), { headerLength: BigInt(SAFETENSORS_MAX_HEADER) + 1n })), 'PREFORK_DATASET_BAD_HEADER', 'm.safetensors: header length: expected at most 100000000 bytes, got 100000001');
  throwsPrefork(t, () => plan(safetensors({ a: f32(0) }, new Uint8Array(8), { headerLength: 2n ** 64n - 1n })), 'PREFORK_DATASET_BAD_HEADER', 'm.safetensors: header length: expected at most', 'got 18446744073709551615');
  throwsPrefork(t, () => plan(safetensors({ a: f32(0) }, new Uint8Array(8), { headerLength: 5000n })), 'PREFORK_DATASET_TRUNCATED', 'm.safetensors: header length: says 5000 bytes of JSON, but only');
  throwsPrefork(t, () => plan(new Uint8Array(5)), 'PREFORK_DATASET_TRUNCATED', 'm.safetensors: header length (u64 LE): needs bytes 0..8 but the file has 5 bytes');
  throwsPrefork(t, () => openSource(tempFile('e.safetensors', new Uint8Array(0))), 'PREFORK_DATASET_EMPTY', 'e.safetensors');
});

t.test('rejects invalid header syntax and shapes of the header', async t => {
  const cases: [string | Buffer, string][] = [
    ['{"a": ', 'm.safetensors: header: expected a JSON object, got invalid JSON'],
    ['[1, 2]', "m.safetensors: header: expected a JSON object starting with '{', got \"[1, 2]\""],
    ['', "m.safetensors: header: expected a JSON object starting with '{', got \"\""],
    [Buffer.from([0x7b, 0xff, 0x7d]), 'm.safetensors: header: expected UTF-8 JSON'],
    ['{}', 'm.safetensors: header: expected at least one tensor, got none'],
    [JSON.stringify({ a: f32(0), __metadata__: { k: 1 } }), "m.safetensors: '__metadata__': expected an object of string to string, got {\"k\":1}"],
    [JSON.stringify({ a: f32(0), __metadata__: null }), "m.safetensors: '__metadata__': expected an object of string to string, got null"],
    [JSON.stringify({ a: f32(0), __metadata__: ['x'] }), "m.safetensors: '__metadata__': expected an object"],
    [JSON.stringify({ a: 5 }), "m.safetensors: tensor 'a': expected an object with dtype, shape and data_offsets, got 5"],
    [JSON.stringify({ a: { ...f32(0), extra: 1 } }), "m.safetensors: tensor 'a': unexpected key 'extra'; expected only dtype, shape and data_offsets"],
    [JSON.stringify({ a: { dtype: 'F32', shape: [2] } }), "m.safetensors: tensor 'a': missing key 'data_offsets'"],
    [JSON.stringify({ '': f32(0) }), "m.safetensors: tensor name: expected a non-empty name, got ''"],
  ];
  for (const [header, message] of cases) {
    throwsPrefork(t, () => plan(safetensors(header, new Uint8Array(8))), 'PREFORK_DATASET_BAD_HEADER', message);
  }
});

t.test('rejects unknown and unsupported dtypes, listing the supported ones', async t => {
  for (const dtype of ['F4', 'C64', 'object', 'f32', 7, null]) {
    throwsPrefork(t, () => plan(safetensors({ a: { ...f32(0), dtype } }, new Uint8Array(8))), 'PREFORK_DATASET_BAD_DTYPE', `m.safetensors: tensor 'a' 'dtype': unsupported dtype ${JSON.stringify(dtype)}; expected one of F64, F32, F16, BF16`);
  }
});

t.test('rejects negative, non-integer and malformed shapes', async t => {
  for (const shape of [[2, -1], [2.5], ['2'], 2, null]) {
    throwsPrefork(t, () => plan(safetensors({ a: { ...f32(0), shape } }, new Uint8Array(8))), 'PREFORK_DATASET_BAD_SHAPE', `m.safetensors: tensor 'a' 'shape': expected an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
});

t.test('a dimension beyond 2^53 - 1 is refused saying so, even in an empty tensor (JSON.parse has rounded it)', async t => {
  throwsPrefork(t, () => plan(safetensors({ a: { ...f32(0), shape: [2 ** 53] } }, new Uint8Array(8))), 'PREFORK_DATASET_BAD_SHAPE', "m.safetensors: tensor 'a' 'shape': dimension 9007199254740992 in [9007199254740992] is beyond JavaScript's safe integers (2^53 - 1)");
  const empty = '{"a":{"dtype":"F32","shape":[0,2305843009213693953],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
  throwsPrefork(t, () => plan(safetensors(empty, new Uint8Array(1))), 'PREFORK_DATASET_BAD_SHAPE', "tensor 'a' 'shape': dimension 2305843009213694000 in [0,2305843009213694000] is beyond JavaScript's safe integers (2^53 - 1)");
  t.same(plan(safetensors({ a: { dtype: 'F32', shape: [0, 2 ** 53 - 1], data_offsets: [0, 0] }, b: f32(0) }, new Uint8Array(8))).arrays[0]?.shape, [0, 2 ** 53 - 1], 'the largest safe integer is fine');
});

t.test('rejects sizes that disagree with shapes', async t => {
  throwsPrefork(t, () => plan(safetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))), 'PREFORK_DATASET_SIZE_MISMATCH', "m.safetensors: tensor 'a': shape [3] of F32 needs 12 bytes, but 'data_offsets' [0, 8] hold 8");
  throwsPrefork(t, () => plan(safetensors({ a: { dtype: 'F64', shape: [2 ** 26, 2 ** 26, 2 ** 26], data_offsets: [0, 8] } }, new Uint8Array(8))), 'PREFORK_DATASET_SIZE_MISMATCH', "tensor 'a': shape [67108864,67108864,67108864] of F64 needs more bytes than fit in memory");
});

t.test('rejects malformed, out-of-range, overlapping and holey offsets', async t => {
  const data = new Uint8Array(16);
  for (const offsets of [[4, 0], [0, 8, 16], [0.5, 8.5], [-8, 0], '0-8', null]) {
    throwsPrefork(t, () => plan(safetensors({ a: { ...f32(0), data_offsets: offsets } }, new Uint8Array(8))), 'PREFORK_DATASET_BAD_OFFSETS', `m.safetensors: tensor 'a' 'data_offsets': expected [begin, end] with integers 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
  }
  throwsPrefork(t, () => plan(safetensors({ a: f32(0), b: f32(8, [4]) }, data)), 'PREFORK_DATASET_BAD_OFFSETS', "m.safetensors: tensor 'b' 'data_offsets': expected an end within the 16-byte data buffer, got [8, 24]");
  throwsPrefork(t, () => plan(safetensors({ a: f32(0, [3]), b: f32(8) }, data)), 'PREFORK_DATASET_BAD_OFFSETS', "m.safetensors: tensor 'b' 'data_offsets': expected to begin at 12 (after tensor 'a'), got [8, 16]: an overlap of 4 bytes");
  throwsPrefork(t, () => plan(safetensors({ a: f32(0), b: f32(12, [1]) }, data)), 'PREFORK_DATASET_BAD_OFFSETS', "m.safetensors: tensor 'b' 'data_offsets': expected to begin at 8 (after tensor 'a'), got [12, 16]: a hole of 4 bytes");
  throwsPrefork(t, () => plan(safetensors({ a: f32(4), b: f32(12, [1]) }, data)), 'PREFORK_DATASET_BAD_OFFSETS', "m.safetensors: tensor 'a' 'data_offsets': expected to begin at 0 (after the start of the data buffer), got [4, 12]: a hole of 4 bytes");
  throwsPrefork(t, () => plan(safetensors({ a: f32(0), b: f32(8, [1]) }, data)), 'PREFORK_DATASET_BAD_OFFSETS', "m.safetensors: data buffer: expected the tensors to cover all 16 bytes after the header, they end at 12 (after tensor 'b'): 4 bytes not in any tensor");
  throwsPrefork(t, () => plan(safetensors({ a: f32(0), b: f32(0) }, data)), 'PREFORK_DATASET_BAD_OFFSETS', "m.safetensors: tensor 'b' 'data_offsets': expected to begin at 8 (after tensor 'a'), got [0, 8]: an overlap of 8 bytes");
});
