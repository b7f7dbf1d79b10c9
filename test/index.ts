// The worker API (src/index.ts) over a real sealed memfd: names, errors that list what exists, dtype checks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { attachDataset } from '../src/datasets/handle';
import { loadDataset } from '../src/datasets/load';
import { parseShareSpec } from '../src/datasets/spec';
import { dataset, datasets, generation, isPreforkError } from '../src/index';
import { registry } from '../src/registry';
import { fixture, FIXTURES, npy, tempFile } from './helpers/build';

t.test('dataset(), datasets(), generation() and the handle methods', async t => {
  const shared = await loadDataset(parseShareSpec(`model=${path.join(FIXTURES, 'model_aligned.safetensors')}`), { generation: 4 });
  t.teardown(() => shared.close());
  const reg = registry();
  t.equal(generation(), 0, 'generation 0 outside prefork');
  t.same(datasets(), []);
  reg.datasets.set('model', attachDataset(shared.fd));
  reg.generation = 4;
  t.teardown(() => {
    reg.datasets.clear();
    reg.generation = 0;
  });
  t.same(datasets(), ['model']);
  t.equal(generation(), 4);
  const d = dataset('model');
  t.equal(d.generation, 4);
  t.same(d.keys(), ['bias', 'mask', 'step', 'weight']);
  t.same(d.metadata, { format: 'pt', source: 'fixture' });
  const w = d.array('weight', 'f64');
  t.type(w, Float64Array);
  t.equal(w.length, 32 * 16);
  t.equal(d.array('weight'), w, 'the same view object every call');
  t.same(d.meta('bias'), { dtype: 'f32', shape: [16], byteLength: 64 });

  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return isPreforkError(e) ? `${e.code}: ${e.message}` : String(e);
    }
    return 'no error';
  };
  t.match(codeOf(() => dataset('nope')), /^PREFORK_NO_DATASET: no dataset 'nope'; shared datasets: 'model'$/);
  t.match(codeOf(() => d.array()), /^PREFORK_NO_DATASET: dataset 'model' has 4 arrays; name one of: 'bias', 'mask', 'step', 'weight'$/);
  t.match(codeOf(() => d.array('nope')), /^PREFORK_NO_DATASET: dataset 'model' has no array 'nope'; it has: /);
  t.match(codeOf(() => d.array('weight', 'f32')), /^PREFORK_NO_DATASET: dataset 'model' array 'weight' is f64, not f32$/);
});

t.test("any file stem is a dataset name, and an empty array's huge dimension survives the memfd header", async t => {
  const named = await loadDataset(parseShareSpec(tempFile('weights (1).npy', fixture('f32_matrix.npy'))));
  t.teardown(() => named.close());
  t.equal(fs.readlinkSync(`/proc/self/fd/${named.fd}`), '/memfd:prefork:weights (1)@0 (deleted)', 'the memfd label keeps the space');
  const huge = await loadDataset(parseShareSpec(tempFile('10-float32.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2305843009213693952), }"))));
  t.teardown(() => huge.close());
  const reg = registry();
  for (const s of [named, huge]) reg.datasets.set(s.name, attachDataset(s.fd));
  t.teardown(() => reg.datasets.clear());
  t.same(datasets(), ['weights (1)', '10-float32']);
  t.same(dataset('weights (1)').meta(), { dtype: 'f32', shape: [64, 16], byteLength: 4096 });
  const meta = dataset('10-float32').meta();
  t.same(meta, { dtype: 'f32', shape: [0, 2 ** 61], byteLength: 0 });
  t.equal(BigInt(meta.shape[1] ?? 0), 2n ** 61n, 'the dimension is exact');
  t.equal(dataset('10-float32').array('', 'f32').length, 0);
});
