import t from 'tap';
import { checkUniqueNames, formatShareSpec, parseShareSpec } from '../../src/datasets/spec';
import { throwsPrefork } from '../helpers/build';

t.test('parses [NAME=]PATH[:dtype[shape]]', async t => {
  t.same(parseShareSpec('data.bin'), { name: 'data', path: 'data.bin' });
  t.same(parseShareSpec('embeddings=vectors.npy'), { name: 'embeddings', path: 'vectors.npy' });
  t.same(parseShareSpec('w=weights.bin:f32[1000,64]'), { name: 'w', path: 'weights.bin', dtype: 'f32', shape: [1000, 64] });
  t.same(parseShareSpec('x=raw.bin:f64'), { name: 'x', path: 'raw.bin', dtype: 'f64' });
  t.same(parseShareSpec('s=one.bin:f64[]'), { name: 's', path: 'one.bin', dtype: 'f64', shape: [] }, '[] is a 0-d array');
  t.same(parseShareSpec('w=w.bin:u8[ 3 , 4 ]'), { name: 'w', path: 'w.bin', dtype: 'u8', shape: [3, 4] }, 'spaces around dimensions');
  t.same(parseShareSpec('/srv/data/model.v2.safetensors'), { name: 'model.v2', path: '/srv/data/model.v2.safetensors' });
  t.same(parseShareSpec('archive.tar.gz'), { name: 'archive.tar', path: 'archive.tar.gz' }, 'only the last extension goes');
  t.same(parseShareSpec('_x-1.bin'), { name: '_x-1', path: '_x-1.bin' });
});

t.test('paths with ":" and "=" still work', async t => {
  t.same(parseShareSpec('t=logs/12:30.bin'), { name: 't', path: 'logs/12:30.bin' }, "text after ':' that is not a dtype is part of the path");
  t.same(parseShareSpec('t=a:b:i16'), { name: 't', path: 'a:b', dtype: 'i16' }, "only the last ':' can start a dtype");
  throwsPrefork(t, () => parseShareSpec('./a=b.bin'), 'PREFORK_BAD_SPEC', "NAME: the file's stem 'a=b' is not a valid name", 'give one as NAME=./a=b.bin');
  t.same(parseShareSpec('d=./a=b.bin'), { name: 'd', path: './a=b.bin' }, "a '/' before the '=' makes it part of the path");
  t.same(parseShareSpec('n=a=b.bin'), { name: 'n', path: 'a=b.bin' }, 'only the first = splits off a NAME');
  t.same(parseShareSpec('t=x.bin:F32'), { name: 't', path: 'x.bin:F32' }, 'dtypes are lower case');
});

t.test('rejects bad shapes with an exact message', async t => {
  throwsPrefork(t, () => parseShareSpec('w=weights.bin:f32[3,-1]'), 'PREFORK_BAD_SPEC', "--share 'w=weights.bin:f32[3,-1]': shape: expected non-negative integers in [3,-1], got '-1'");
  throwsPrefork(t, () => parseShareSpec('w=weights.bin:f32[a]'), 'PREFORK_BAD_SPEC', "--share 'w=weights.bin:f32[a]': shape: expected non-negative integers in [a], got 'a'");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f32[2.5]'), 'PREFORK_BAD_SPEC', "shape: expected non-negative integers in [2.5], got '2.5'");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f32[3,]'), 'PREFORK_BAD_SPEC', "shape: expected non-negative integers in [3,], got ''");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f32[3,4'), 'PREFORK_BAD_SPEC', "--share 'w=w.bin:f32[3,4': shape: expected [d0,d1,...] after the dtype, got '[3,4'");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f32[99999999999999999999]'), 'PREFORK_BAD_SPEC', "got '99999999999999999999'");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f64[1048576,1048576,1048576]'), 'PREFORK_BAD_SPEC', 'shape: [1048576,1048576,1048576] of f64 has more bytes than fit in memory');
});

t.test('rejects bad names, empty paths and dtypes on self-describing files', async t => {
  throwsPrefork(t, () => parseShareSpec('1x=a.bin'), 'PREFORK_BAD_SPEC', "--share '1x=a.bin': NAME: expected letters, digits, '_', '.' or '-' not starting with a digit, '.' or '-', got '1x'");
  throwsPrefork(t, () => parseShareSpec('=a.bin'), 'PREFORK_BAD_SPEC', "NAME: expected letters", "got ''");
  throwsPrefork(t, () => parseShareSpec('my data=a.bin'), 'PREFORK_BAD_SPEC', "got 'my data'");
  throwsPrefork(t, () => parseShareSpec('2024.bin'), 'PREFORK_BAD_SPEC', "--share '2024.bin': NAME: the file's stem '2024' is not a valid name", 'give one as NAME=2024.bin');
  throwsPrefork(t, () => parseShareSpec('.hidden'), 'PREFORK_BAD_SPEC', "the file's stem '.hidden' is not a valid name");
  throwsPrefork(t, () => parseShareSpec('x='), 'PREFORK_BAD_SPEC', "--share 'x=': PATH: expected a file path, got nothing");
  throwsPrefork(t, () => parseShareSpec(''), 'PREFORK_BAD_SPEC', 'PATH: expected a file path, got nothing');
  throwsPrefork(t, () => parseShareSpec('x=:f32'), 'PREFORK_BAD_SPEC', 'PATH: expected a file path, got nothing');
  for (const file of ['v.npy', 'b.NPZ', 'm.safetensors']) {
    throwsPrefork(t, () => parseShareSpec(`x=${file}:f32[2]`), 'PREFORK_BAD_SPEC', `--share 'x=${file}:f32[2]': dtype applies only to raw files`, "drop ':f32[2]'");
  }
  throwsPrefork(t, () => parseShareSpec('1.bin', 'inspect'), 'PREFORK_BAD_SPEC', "inspect '1.bin': NAME");
});

t.test('checkUniqueNames names both values', async t => {
  const a = parseShareSpec('a/data.bin');
  const b = parseShareSpec('b/data.npy');
  t.doesNotThrow(() => checkUniqueNames([a, parseShareSpec('other=b/data.npy')]));
  throwsPrefork(t, () => checkUniqueNames([a, parseShareSpec('x.bin'), b]), 'PREFORK_DATASET_DUPLICATE', "--share: expected each dataset name once, got 'data' twice: 'data=a/data.bin' and 'data=b/data.npy'; give one of them another NAME=");
  t.equal(formatShareSpec(parseShareSpec('w=w.bin:f32[2,3]')), 'w=w.bin:f32[2,3]');
  t.equal(formatShareSpec(parseShareSpec('w.bin:u8')), 'w=w.bin:u8');
});
