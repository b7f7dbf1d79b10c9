import t from 'tap';
import { PreforkError, isPreforkError, ERROR_CODES } from '../src/errors';

t.test('PreforkError carries a stable code, file and cause', async t => {
  const cause = new Error('inner');
  const e = new PreforkError('PREFORK_DATASET_TRUNCATED', 'x.npy: short', { file: 'x.npy', cause });
  t.equal(e.code, 'PREFORK_DATASET_TRUNCATED');
  t.equal(e.file, 'x.npy');
  t.equal(e.cause, cause);
  t.ok(isPreforkError(e));
  t.notOk(isPreforkError(new Error('plain')));
  t.ok(Object.keys(ERROR_CODES).every(k => k.startsWith('PREFORK_')));
});
