// --watch / --watch-app through the real CLI: atomic renames, in-place writes, deletion, app code changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { filledF64Npy } from '../helpers/build';
import { APPS, getJson, packageTempDir, sleep, startPrefork, until } from '../helpers/prefork';

interface Gen {
  generation: number;
  value: number;
}

const npyBytes = filledF64Npy;
const tempDir = (t: Test) => packageTempDir(t, 'watch');

const served = (port: number) => getJson<Gen>(port);
const servesValue = (port: number, v: number) => until(async () => (await served(port)).value === v, 15_000, 100);

t.test('--watch reloads on an atomic rename, an in-place write, and survives a deletion', async t => {
  const dir = tempDir(t);
  const data = path.join(dir, 'data.npy');
  fs.writeFileSync(data, npyBytes(1));
  const p = await startPrefork(t, ['start', path.join(APPS, 'gen.js'), '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '2', '--watch']);
  t.match(p.output(), /watching dataset files/);

  fs.writeFileSync(`${data}.new`, npyBytes(2));
  fs.renameSync(`${data}.new`, data); // a new inode under the same name
  t.ok(await servesValue(p.port, 2), 'the renamed-in file is served');
  t.equal((await served(p.port)).generation, 2);

  // an in-place write in slow chunks: one reload, after the write is finished
  const bytes = npyBytes(3, 200_000);
  const fd = fs.openSync(data, 'w');
  for (let off = 0; off < bytes.length; off += 200_000) {
    fs.writeSync(fd, bytes, off, Math.min(200_000, bytes.length - off));
    await sleep(40);
  }
  fs.closeSync(fd);
  t.ok(await servesValue(p.port, 3), 'the rewritten file is served');
  await sleep(1000);
  t.equal((await served(p.port)).generation, 3, 'the chunked write caused exactly one reload');
  t.notMatch(p.output(), /generation \d+ failed/, 'no reload saw a half-written file');

  const from = p.output().length;
  fs.rmSync(data);
  await p.waitFor(/was deleted; generation 3 keeps serving/, 10_000, from);
  await sleep(800);
  const after = await served(p.port);
  t.equal(after.generation, 3, 'deletion tears nothing down');
  t.equal(after.value, 3);

  fs.writeFileSync(`${data}.new`, npyBytes(4));
  fs.renameSync(`${data}.new`, data);
  t.ok(await servesValue(p.port, 4), 'a file that comes back is loaded');
});

t.test('--watch-app reloads when the app code changes', async t => {
  const dir = tempDir(t);
  const data = path.join(dir, 'data.npy');
  const app = path.join(dir, 'app.js');
  fs.writeFileSync(data, npyBytes(5));
  fs.copyFileSync(path.join(APPS, 'gen.js'), app);
  const p = await startPrefork(t, ['start', app, '--share', `d=${data}`, '--bind', '127.0.0.1:0', '--workers', '1', '--watch-app']);
  t.equal((await served(p.port)).value, 5);
  const code = fs.readFileSync(app, 'utf8').replace('value: d[0]', 'value: d[0] * 10');
  fs.writeFileSync(app, code);
  t.ok(await servesValue(p.port, 50), 'the new code serves');
});
