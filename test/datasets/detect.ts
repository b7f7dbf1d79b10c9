import t from 'tap';
import { planDataset } from '../../src/datasets/detect';
import { memorySource } from '../../src/datasets/source';
import { fixture, npyOf, throwsPrefork } from '../helpers/build';

t.test('planDataset picks the planner by extension and keeps dtypes to raw files', async t => {
  const bytes = npyOf('<f4', [2], 4);
  t.equal(planDataset(memorySource('a.npy', bytes), {}).format, 'npy');
  t.equal(planDataset(memorySource('A.NPY', bytes), {}).format, 'npy');
  t.equal(planDataset(memorySource('a.bin', bytes), {}).format, 'raw');
  t.equal(planDataset(memorySource('a', bytes), { dtype: 'f32' }).arrays[0]?.shape[0], bytes.length / 4);
  t.equal(planDataset(memorySource('m.safetensors', fixture('model_aligned.safetensors')), {}).format, 'safetensors');
  t.equal(planDataset(memorySource('b.npz', fixture('bundle_stored.npz')), {}).format, 'npz');
  throwsPrefork(t, () => planDataset(memorySource('a.npy', bytes), { dtype: 'f32' }), 'PREFORK_BAD_SPEC', 'a.npy: dtype: applies only to raw files');
});
