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
  throwsPrefork(t, () => parseShareSpec('./a=b.bin'), 'PREFORK_BAD_SPEC', "NAME: the file's stem 'a=b' cannot be a dataset name (it holds '=')", 'give one as NAME=./a=b.bin');
  t.same(parseShareSpec('d=./a=b.bin'), { name: 'd', path: './a=b.bin' }, "a '/' before the '=' makes it part of the path");
  t.same(parseShareSpec('n=a=b.bin'), { name: 'n', path: 'a=b.bin' }, 'only the first = splits off a NAME');
});

t.test("a ':' tail that is a file name stays part of the path", async t => {
  const paths = [
    'logs/a:b.bin', 'x:2024-01-01.bin', 'a:b/c', 'a:b/f32', 'logs/12:30', 'backup:2', 'notes:todo', 'model:v2',
    'run:a1', 'x:f32.bin', 'x:f32-old', 'x:my file', 'dir:[1]/x.bin', 'a:b c[1]',
  ];
  for (const p of paths) t.same(parseShareSpec(p), { name: p.slice(p.lastIndexOf('/') + 1).replace(/\.bin$/, ''), path: p }, p);
  t.same(parseShareSpec('data:f65:u8'), { name: 'data:f65', path: 'data:f65', dtype: 'u8' }, 'a dtype-like file name is reached by giving a dtype');
});

t.test("a ':' tail that looks like a dtype but is none is refused, listing the dtypes", async t => {
  const list = 'expected one of f64 f32 f16 bf16 f8e4m3 f8e5m2 i8 i16 i32 i64 u8 u16 u32 u64 bool after the last \':\'';
  throwsPrefork(t, () => parseShareSpec('data.bin:f65'), 'PREFORK_BAD_SPEC', `--share 'data.bin:f65': dtype: ${list}, got 'f65'`);
  for (const tail of ['float32', 'i33', 'u7', 'bf15', 'fp16', 'int8', 'uint8', 'f8e4m4', 'float8_e4m3fn', 'c64', 'b1', 'float', 'double', 'half']) {
    throwsPrefork(t, () => parseShareSpec(`w=w.bin:${tail}`), 'PREFORK_BAD_SPEC', `dtype: ${list}, got '${tail}'`);
  }
  throwsPrefork(t, () => parseShareSpec('t=x.bin:F32'), 'PREFORK_BAD_SPEC', "got 'F32' (dtypes are lower case: 'f32')");
  throwsPrefork(t, () => parseShareSpec('t=x.bin:BOOL'), 'PREFORK_BAD_SPEC', "got 'BOOL' (dtypes are lower case: 'bool')");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:foo[3,4]'), 'PREFORK_BAD_SPEC', `dtype: ${list}, got 'foo'`);
  throwsPrefork(t, () => parseShareSpec('w=w.bin:x[1.5]'), 'PREFORK_BAD_SPEC', "got 'x'");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:[3]'), 'PREFORK_BAD_SPEC', `dtype: ${list}, got nothing`);
  throwsPrefork(t, () => parseShareSpec('data.bin:', 'inspect'), 'PREFORK_BAD_SPEC', `inspect 'data.bin:': dtype: ${list}, got nothing`);
});

t.test('rejects bad shapes with an exact message', async t => {
  throwsPrefork(t, () => parseShareSpec('w=weights.bin:f32[3,-1]'), 'PREFORK_BAD_SPEC', "--share 'w=weights.bin:f32[3,-1]': shape: expected non-negative integers in [3,-1], got '-1'");
  throwsPrefork(t, () => parseShareSpec('w=weights.bin:f32[a]'), 'PREFORK_BAD_SPEC', "--share 'w=weights.bin:f32[a]': shape: expected non-negative integers in [a], got 'a'");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f32[2.5]'), 'PREFORK_BAD_SPEC', "shape: expected non-negative integers in [2.5], got '2.5'");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f32[3,]'), 'PREFORK_BAD_SPEC', "shape: expected non-negative integers in [3,], got ''");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f32[3,4'), 'PREFORK_BAD_SPEC', "--share 'w=w.bin:f32[3,4': shape: expected [d0,d1,...] after the dtype, got '[3,4'");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f32[99999999999999999999]'), 'PREFORK_BAD_SPEC', "shape: dimension '99999999999999999999' in [99999999999999999999] is beyond JavaScript's safe integers (2^53 - 1)");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f32[0,2305843009213693952]'), 'PREFORK_BAD_SPEC', "shape: dimension '2305843009213693952' in [0,2305843009213693952] is beyond JavaScript's safe integers (2^53 - 1)");
  throwsPrefork(t, () => parseShareSpec('w=w.bin:f64[1048576,1048576,1048576]'), 'PREFORK_BAD_SPEC', 'shape: [1048576,1048576,1048576] of f64 has more bytes than fit in memory');
});

t.test('any non-empty stem or NAME is a dataset name', async t => {
  t.same(parseShareSpec('10-float32.npy'), { name: '10-float32', path: '10-float32.npy' }, 'a stem starting with a digit');
  t.same(parseShareSpec('data/2024-01-31_run.npy'), { name: '2024-01-31_run', path: 'data/2024-01-31_run.npy' });
  t.same(parseShareSpec('weights (1).npy'), { name: 'weights (1)', path: 'weights (1).npy' }, 'a stem with a space and parentheses');
  t.same(parseShareSpec('2024.bin'), { name: '2024', path: '2024.bin' });
  t.same(parseShareSpec('.hidden'), { name: '.hidden', path: '.hidden' }, 'a dot file is its own stem');
  t.same(parseShareSpec('données.npy'), { name: 'données', path: 'données.npy' });
  t.same(parseShareSpec('1x=a.bin'), { name: '1x', path: 'a.bin' });
  t.same(parseShareSpec('my data=a.bin'), { name: 'my data', path: 'a.bin' });
  t.same(parseShareSpec('a:b=a.bin'), { name: 'a:b', path: 'a.bin' });
});

t.test('rejects empty names, empty paths and dtypes on self-describing files', async t => {
  throwsPrefork(t, () => parseShareSpec('=a.bin'), 'PREFORK_BAD_SPEC', "--share '=a.bin': NAME: expected a name before the '=', got nothing");
  throwsPrefork(t, () => parseShareSpec('/'), 'PREFORK_BAD_SPEC', "--share '/': NAME: the file's stem '' cannot be a dataset name (it is empty); give one as NAME=/");
  throwsPrefork(t, () => parseShareSpec('x='), 'PREFORK_BAD_SPEC', "--share 'x=': PATH: expected a file path, got nothing");
  throwsPrefork(t, () => parseShareSpec(''), 'PREFORK_BAD_SPEC', 'PATH: expected a file path, got nothing');
  throwsPrefork(t, () => parseShareSpec('x=:f32'), 'PREFORK_BAD_SPEC', 'PATH: expected a file path, got nothing');
  for (const file of ['v.npy', 'b.NPZ', 'm.safetensors']) {
    throwsPrefork(t, () => parseShareSpec(`x=${file}:f32[2]`), 'PREFORK_BAD_SPEC', `--share 'x=${file}:f32[2]': dtype applies only to raw files`, "drop ':f32[2]'");
  }
  throwsPrefork(t, () => parseShareSpec('./x=1.bin', 'inspect'), 'PREFORK_BAD_SPEC', "inspect './x=1.bin': NAME");
});

t.test('checkUniqueNames names both values', async t => {
  const a = parseShareSpec('a/data.bin');
  const b = parseShareSpec('b/data.npy');
  t.doesNotThrow(() => checkUniqueNames([a, parseShareSpec('other=b/data.npy')]));
  throwsPrefork(t, () => checkUniqueNames([a, parseShareSpec('x.bin'), b]), 'PREFORK_DATASET_DUPLICATE', "--share: expected each dataset name once, got 'data' twice: 'data=a/data.bin' and 'data=b/data.npy'; give one of them another NAME=");
  t.equal(formatShareSpec(parseShareSpec('w=w.bin:f32[2,3]')), 'w=w.bin:f32[2,3]');
  t.equal(formatShareSpec(parseShareSpec('w.bin:u8')), 'w=w.bin:u8');
});
