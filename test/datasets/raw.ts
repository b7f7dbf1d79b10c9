import t from 'tap';
import { byteLengthOf, planRaw } from '../../src/datasets/raw';
import { memorySource, openSource } from '../../src/datasets/source';
import { FIXTURES, manifest, fixture, numpyDescr, referenceBytes, sha256, tempFile, throwsPrefork } from '../helpers/build';

const src = (n: number, name = 'r.bin') => memorySource(name, new Uint8Array(n));

t.test('the raw fixture with its manifest dtype plans to the manifest shape and bytes', async t => {
  const m = manifest()['raw_f64.bin'];
  const want = m?.arrays[''];
  if (want === undefined) throw new Error('raw_f64.bin missing from the manifest');
  const dtype = numpyDescr(want.dtype).dtype;
  t.equal(dtype, 'f64');
  const file = openSource(`${FIXTURES}/raw_f64.bin`);
  const p = planRaw(file, 'f64', undefined);
  file.close();
  t.same(p.arrays[0]?.shape, want.shape);
  const a = p.arrays[0];
  if (a === undefined) throw new Error('no array');
  t.equal(sha256(referenceBytes(fixture('raw_f64.bin'), a)), want.sha256_le_c);
  t.same(planRaw(memorySource('raw_f64.bin', fixture('raw_f64.bin')), 'f64', [64, 64]).arrays[0]?.shape, [64, 64]);
});

t.test('no dtype: bytes; dtype: 1-d; dtype and shape: exactly that shape', async t => {
  t.same(planRaw(src(10), undefined, undefined), {
    format: 'raw',
    arrays: [{ key: '', dtype: 'u8', shape: [10], byteLength: 10, swap: false, fortran: false, source: { kind: 'range', offset: 0 } }],
    metadata: {},
  });
  t.same(planRaw(src(24), 'f64', undefined).arrays[0]?.shape, [3]);
  t.same(planRaw(src(24), 'i16', [3, 4]).arrays[0]?.shape, [3, 4]);
  t.same(planRaw(src(8), 'f64', []).arrays[0]?.shape, [], 'a 0-d raw array is one element');
  t.same(planRaw(src(0), 'f32', [0, 7]).arrays[0]?.byteLength, 0);
  t.same(planRaw(src(0), undefined, undefined).arrays[0]?.shape, [0]);
});

t.test('rejects sizes that disagree with the dtype or shape', async t => {
  throwsPrefork(t, () => planRaw(src(10), 'f64', undefined), 'PREFORK_DATASET_SIZE_MISMATCH', 'r.bin: file size: expected a multiple of 8 bytes (one f64), got 10 bytes');
  throwsPrefork(t, () => planRaw(src(40), 'f32', [3, 4]), 'PREFORK_DATASET_SIZE_MISMATCH', 'r.bin: file size: shape (3, 4) of f32 needs 48 bytes, the file has 40 bytes');
  throwsPrefork(t, () => planRaw(src(52), 'f32', [3, 4]), 'PREFORK_DATASET_SIZE_MISMATCH', 'r.bin: file size: shape (3, 4) of f32 needs 48 bytes, the file has 52 bytes');
  throwsPrefork(t, () => planRaw(src(8), 'f32', [2 ** 30, 2 ** 30, 2 ** 30]), 'PREFORK_DATASET_BAD_SHAPE', 'r.bin: shape: expected non-negative integers whose product fits in memory, got (1073741824, 1073741824, 1073741824)');
  throwsPrefork(t, () => planRaw(src(8), 'f32', [-2]), 'PREFORK_DATASET_BAD_SHAPE', 'r.bin: shape: expected non-negative integers', 'got (-2,)');
  throwsPrefork(t, () => openSource(tempFile('e.bin', new Uint8Array(0))), 'PREFORK_DATASET_EMPTY', 'e.bin');
});

t.test('byteLengthOf: 0-d, zero dimensions and overflow', async t => {
  t.equal(byteLengthOf([], 'f64'), 8);
  t.equal(byteLengthOf([0, 2 ** 52, 2 ** 52], 'f64'), 0);
  t.equal(byteLengthOf([2 ** 61, 0], 'f64'), 0, 'an empty array, even beside a dimension beyond 2^53 - 1');
  t.equal(byteLengthOf([2 ** 61, 1], 'u8'), undefined, 'a dimension beyond 2^53 - 1 in an array that is not empty');
  t.equal(byteLengthOf([0, 1.5], 'u8'), undefined, 'a 0 does not excuse a fraction');
  t.equal(byteLengthOf([2 ** 26, 2 ** 26], 'f64'), undefined, '2 ** 55 bytes is not a safe integer');
  t.equal(byteLengthOf([2 ** 25, 2 ** 25], 'f64'), undefined, '2 ** 53 is one past the largest safe integer');
  t.equal(byteLengthOf([2 ** 24, 2 ** 24], 'f64'), 2 ** 51);
  t.equal(byteLengthOf([1.5], 'u8'), undefined);
  t.equal(byteLengthOf([-1], 'u8'), undefined);
});
