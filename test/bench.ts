// The benchmark's own interface: bench/flags.js feeds --help and the README; a bad flag is a usage error (exit 2);
// bench/README.md and bench/charts/ are exactly what bench/report.js makes of the newest results file, so no figure
// in them was typed by hand. (The benchmarks themselves measure speed: they run by `npm run bench`, not here.)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { ROOT } from './helpers/prefork';

const BENCH = path.join(ROOT, 'bench');
const { FLAGS } = require(path.join(BENCH, 'flags.js')) as { FLAGS: Record<string, { meaning: string }> };
const report = require(path.join(BENCH, 'report.js')) as { regenerate(file: string, into: string): string[] };

t.test('--help lists every flag of bench/flags.js; a bad flag or value exits 2 naming it', async t => {
  const help = spawnSync(process.execPath, [path.join(BENCH, 'run.js'), '--help'], { encoding: 'utf8' });
  t.equal(help.status, 0);
  for (const name of Object.keys(FLAGS)) t.match(help.stdout, `--${name}`, `--help has --${name}`);
  for (const [args, said] of [[['--nope'], /unknown argument '--nope'/], [['--rounds', 'x'], /--rounds: expected a positive integer, got 'x'/], [['--only', 'speed'], /--only: unknown section 'speed'/], [['--variants', 'pm3'], /--variants: unknown 'pm3'/]] as const) {
    const r = spawnSync(process.execPath, [path.join(BENCH, 'run.js'), ...args], { encoding: 'utf8' });
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, said);
  }
});

t.test('bench/README.md and its charts are what bench/report.js makes of the newest results file', async t => {
  const results = fs.readdirSync(path.join(BENCH, 'results')).filter(f => /^\d{4}-\d\d-\d\d\.json$/.test(f)).sort();
  const newest = results[results.length - 1];
  if (!t.ok(newest, 'a results file')) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefork-bench-report-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const written = report.regenerate(path.join(BENCH, 'results', newest!), dir);
  t.ok(written.length > 1, `${written.length} files written`);
  for (const f of written) {
    const rel = path.relative(dir, f);
    t.equal(fs.readFileSync(f, 'utf8'), fs.readFileSync(path.join(BENCH, rel), 'utf8'), `bench/${rel} is generated, unedited`);
  }
  for (const f of written.filter(f => f.endsWith('.svg'))) t.match(fs.readFileSync(f, 'utf8'), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^]*<\/svg>\n$/, `${path.basename(f)} is an SVG document`);
  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  for (const name of Object.keys(FLAGS)) t.match(readme, `\`--${name}\``, `the README documents --${name}`);
});
