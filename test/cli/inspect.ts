// `prefork inspect` through the real CLI: every fixture at once against the manifest (JSON), the text form, and the
// documented exit codes for bad data (65), a missing file (66) and a bad command line (64).
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { InspectedFile } from '../../src/cli/inspect';
import { EXIT } from '../../src/exit-codes';
import { fixture, manifest, npy, npyDict, numpyDescr } from '../helpers/build';
import { FIXTURES, ROOT, runCli } from '../helpers/prefork';

/** Runs `prefork …args` to completion (killed after 30 s). */
const prefork = (args: string[], cwd = ROOT) => runCli(args, { cwd, timeoutMs: 30_000 });

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-inspect-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const names = () => Object.keys(manifest()).sort();
const argFor = (name: string) => `${FIXTURES}/${name}${manifest()[name]?.format === 'raw' ? ':f64' : ''}`;
const closeTo = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(b), 1e-3);

t.test('--json over every fixture at once matches the manifest', async t => {
  const files = names();
  const r = await prefork(['inspect', ...files.map(argFor), '--json']);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
  const out = (JSON.parse(r.stdout) as { files: InspectedFile[] }).files;
  t.same(out.map(f => f.file), files.map(n => `${FIXTURES}/${n}`), 'one entry per file, in argument order');
  for (const [i, name] of files.entries()) {
    const m = manifest()[name];
    const f = out[i];
    if (m === undefined || f === undefined) throw new Error(name);
    t.equal(f.name, path.parse(name).name, `${name}: dataset name is the stem`);
    t.equal(f.format, m.format, `${name}: format`);
    t.same(f.metadata, m.metadata ?? {}, `${name}: metadata`);
    t.same(f.arrays.map(a => a.key).sort(), Object.keys(m.arrays).sort(), `${name}: keys`);
    for (const a of f.arrays) {
      const at = `${name}/${a.key}`;
      const want = m.arrays[a.key] as (typeof m.arrays)[string] & { sum?: number | null };
      if (want === undefined) continue;
      t.equal(a.dtype, numpyDescr(want.dtype).dtype, `${at}: dtype ${want.dtype}`);
      t.same(a.shape, want.shape, `${at}: shape`);
      t.equal(a.shape.reduce((p, d) => p * d, 1), want.count, `${at}: element count`);
      t.equal(a.sha256, want.sha256_le_c, `${at}: sha256`);
      const sum = want.sum ?? 0;
      t.ok(typeof a.sum === 'number' && closeTo(a.sum, sum), `${at}: sum ${a.sum} within 1e-9 of ${sum}`);
    }
  }
});

t.test('text mode prints a line per file and per array', async t => {
  const files = names();
  const r = await prefork(['inspect', ...files.map(argFor)]);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
  const lines = r.stdout.trimEnd().split('\n');
  for (const name of files) {
    const m = manifest()[name];
    if (m === undefined) throw new Error(name);
    const n = Object.keys(m.arrays).length;
    t.ok(lines.includes(`${FIXTURES}/${name}: dataset '${path.parse(name).name}', ${m.format}, ${n} array${n === 1 ? '' : 's'}`), `${name}: file line`);
    for (const [key, a] of Object.entries(m.arrays)) {
      const line = lines.find(l => l.includes(`sha256 ${a.sha256_le_c}`) && l.startsWith(`  ${key === '' ? '(array)' : key}  `));
      t.ok(line?.includes(`  ${numpyDescr(a.dtype).dtype}  [${a.shape.join(', ')}]  `), `${name}/${key}: array line with dtype and shape`);
    }
    for (const [k, v] of Object.entries(m.metadata ?? {})) t.ok(lines.includes(`  metadata ${k} = ${v}`), `${name}: metadata ${k}`);
  }
  t.equal(lines.length, files.length + files.reduce((n, f) => n + Object.keys(manifest()[f]?.arrays ?? {}).length + Object.keys(manifest()[f]?.metadata ?? {}).length, 0), 'nothing else');
});

t.test('a truncated .npy exits 65 naming the file and the field', async t => {
  const dir = tempDir(t);
  const cut = path.join(dir, 'cut.npy');
  fs.writeFileSync(cut, fixture('f32_matrix.npy').subarray(0, 1000));
  const r = await prefork(['inspect', cut]);
  t.equal(r.code, EXIT.DATAERR.code, 'exit 65');
  t.equal(r.stdout, '', 'nothing on stdout');
  t.match(r.stderr, `prefork: ${cut}: data: shape (64, 16) of '<f4' needs 4096 bytes after the header, only 872 follow it [PREFORK_DATASET_TRUNCATED]`);
  const header = path.join(dir, 'header.npy');
  fs.writeFileSync(header, fixture('f32_matrix.npy').subarray(0, 40));
  const h = await prefork(['inspect', '--json', header]);
  t.equal(h.code, EXIT.DATAERR.code, 'exit 65 for a cut header too, with --json');
  t.match(h.stderr, `prefork: ${header}: header: `);
  t.match(h.stderr, '[PREFORK_DATASET_TRUNCATED]');
});

t.test('a missing file exits 66 naming it', async t => {
  const dir = tempDir(t);
  const missing = path.join(dir, 'nope.npy');
  const r = await prefork(['inspect', `${FIXTURES}/f64_vector.npy`, missing]);
  t.equal(r.code, EXIT.NOINPUT.code, 'exit 66');
  t.match(r.stderr, `prefork: ${missing}: cannot open dataset file (ENOENT) [PREFORK_DATASET_MISSING]`);
});

t.test('an unknown option exits 64', async t => {
  const r = await prefork(['inspect', '--no-such-option', `${FIXTURES}/f64_vector.npy`]);
  t.equal(r.code, EXIT.USAGE.code, 'exit 64');
  t.match(r.stderr, /Unknown argument/);
  t.equal(r.stdout, '', 'nothing on stdout');
  const noFile = await prefork(['inspect']);
  t.equal(noFile.code, EXIT.USAGE.code, 'inspect without a file exits 64 too');
});

t.test("inspect data.bin: a raw file without a dtype is bytes (u8) named 'data'", async t => {
  const dir = tempDir(t);
  const bytes = fixture('raw_f64.bin');
  fs.writeFileSync(path.join(dir, 'data.bin'), bytes);
  const r = await prefork(['inspect', 'data.bin', '--json'], dir);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
  const [f] = (JSON.parse(r.stdout) as { files: InspectedFile[] }).files;
  t.same(
    f && { file: f.file, name: f.name, format: f.format, arrays: f.arrays.map(a => [a.key, a.dtype, a.shape, a.byteLength, a.sha256]) },
    { file: 'data.bin', name: 'data', format: 'raw', arrays: [['', 'u8', [bytes.length], bytes.length, manifest()['raw_f64.bin']?.arrays['']?.sha256_le_c]] },
  );
  t.equal(f?.arrays[0]?.sum, bytes.reduce((s, b) => s + b, 0), 'the sum of the bytes');
});

t.test('a 0-d safetensors tensor comes out as shape [] with one element', async t => {
  const r = await prefork(['inspect', `${FIXTURES}/scalar_and_empty.safetensors`]);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
  t.match(r.stdout, /^ {2}zero_d {2}f32 {2}\[\] {2}4 bytes {2}sum 1\.5 /m, 'zero_d f32 [] with its 4 bytes');
});

/** An f64 .npy holding `values`. */
function f64Npy(values: number[]): Buffer {
  const data = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => data.writeDoubleLE(v, i * 8));
  return npy(npyDict('<f8', [values.length]), data);
}

t.test('--json prints a NaN or infinite sum as "NaN", "Infinity" or "-Infinity", a finite one as a number', async t => {
  const dir = tempDir(t);
  const files: [string, number[], string][] = [
    ['nan.npy', [1, NaN, 2], '"NaN"'],
    ['inf.npy', [1, Infinity], '"Infinity"'],
    ['ninf.npy', [-Infinity, 5], '"-Infinity"'],
    ['both.npy', [Infinity, -Infinity], '"NaN"'],
    ['finite.npy', [1.5, 2], '3.5'],
  ];
  for (const [name, values] of files) fs.writeFileSync(path.join(dir, name), f64Npy(values));
  const r = await prefork(['inspect', '--json', ...files.map(([name]) => name)], dir);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
  const sums = [...r.stdout.matchAll(/"sum": ([^,\n]+),/g)].map(m => m[1]);
  t.same(sums, files.map(([, , json]) => json), 'the sums as JSON text');
  const out = (JSON.parse(r.stdout) as { files: InspectedFile[] }).files.map(f => f.arrays[0]?.sum);
  t.same(out, ['NaN', 'Infinity', '-Infinity', 'NaN', 3.5], 'strings a script can tell apart; the finite sum a number');
  const text = await prefork(['inspect', 'nan.npy', 'inf.npy', 'ninf.npy'], dir);
  t.same([...text.stdout.matchAll(/ sum (\S+) /g)].map(m => m[1]), ['NaN', 'Infinity', '-Infinity'], 'text mode as before');
});

t.test('a file whose stem starts with a digit or holds a space is inspected under its stem', async t => {
  const dir = tempDir(t);
  const names = ['10-float32.npy', '2024-01-31_run.npy', 'weights (1).npy'];
  for (const name of names) fs.writeFileSync(path.join(dir, name), fixture('f32_matrix.npy'));
  const r = await prefork(['inspect', '--json', ...names], dir);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
  const out = (JSON.parse(r.stdout) as { files: InspectedFile[] }).files;
  t.same(out.map(f => [f.file, f.name]), [['10-float32.npy', '10-float32'], ['2024-01-31_run.npy', '2024-01-31_run'], ['weights (1).npy', 'weights (1)']]);
  t.ok(out.every(f => f.arrays[0]?.sha256 === manifest()['f32_matrix.npy']?.arrays['']?.sha256_le_c), 'each loaded into its memfd and read back');
  const text = await prefork(['inspect', 'weights (1).npy'], dir);
  t.match(text.stdout, /^weights \(1\)\.npy: dataset 'weights \(1\)', npy, 1 array$/m);
});

t.test("inspect data.bin:f65 says the dtype is unknown; a real ':' in a file name still works", async t => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'data.bin'), fixture('raw_f64.bin'));
  const r = await prefork(['inspect', 'data.bin:f65'], dir);
  t.equal(r.code, EXIT.USAGE.code, 'exit 64');
  t.equal(r.stderr, "prefork: inspect 'data.bin:f65': dtype: expected one of f64 f32 f16 bf16 f8e4m3 f8e5m2 i8 i16 i32 i64 u8 u16 u32 u64 bool after the last ':', got 'f65' [PREFORK_BAD_SPEC]\n");
  t.notMatch(r.stderr, /ENOENT/);
  fs.writeFileSync(path.join(dir, 'x:2024-01-01.bin'), fixture('raw_f64.bin'));
  const colon = await prefork(['inspect', 'x:2024-01-01.bin:f64', 'x:2024-01-01.bin', '--json'], dir);
  t.equal(colon.code, 0, `exit 0 (stderr: ${colon.stderr})`);
  const out = (JSON.parse(colon.stdout) as { files: InspectedFile[] }).files;
  t.same(out.map(f => [f.file, f.name, f.arrays[0]?.dtype]), [['x:2024-01-01.bin', 'x:2024-01-01', 'f64'], ['x:2024-01-01.bin', 'x:2024-01-01', 'u8']]);
});

t.test('an empty .npy with a dimension beyond 2^53 - 1, (0, 2**61), loads with its exact shape', async t => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'huge.npy'), npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2305843009213693952), }"));
  const r = await prefork(['inspect', '--json', 'huge.npy'], dir);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
  t.match(r.stdout, /"shape": \[\s*0,\s*2305843009213693952\s*\]/, 'the dimension as numpy wrote it');
  const [a] = (JSON.parse(r.stdout) as { files: InspectedFile[] }).files[0]?.arrays ?? [];
  t.same(a && [a.shape, a.byteLength, a.sum], [[0, 2 ** 61], 0, 0]);
  const text = await prefork(['inspect', 'huge.npy'], dir);
  t.match(text.stdout, /^ {2}\(array\) {2}f64 {2}\[0, 2305843009213693952\] {2}0 bytes {2}sum 0 /m, 'text mode too');
  fs.writeFileSync(path.join(dir, 'big.npy'), npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2305843009213693952), }"));
  const big = await prefork(['inspect', 'big.npy'], dir);
  t.equal(big.code, EXIT.DATAERR.code, 'exit 65 when it is not empty');
  t.match(big.stderr, "big.npy: header 'shape': dimension 2305843009213693952 in (2, 2305843009213693952) is beyond JavaScript's safe integers (2^53 - 1) [PREFORK_DATASET_BAD_SHAPE]");
});
