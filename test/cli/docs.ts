// One source of truth: the yargs option table (src/cli/options.ts), the exit codes and the signal table must all be
// documented in `--help`, the README and man/prefork.1, and the man page must pass mandoc's lint.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { COMMANDS } from '../../src/cli/options';
import { EXIT } from '../../src/exit-codes';
import { haveTools, needs } from '../helpers/tools';
import { SIGNALS } from '../../src/supervisor/signals';
import { ROOT, runCli } from '../helpers/prefork';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const manFile = path.join(ROOT, 'man', 'prefork.1');
const man = fs.readFileSync(manFile, 'utf8').replace(/\\-/g, '-').replace(/\\fR|\\fB|\\fI/g, '');

/** The text of one man page section (.SH NAME up to the next .SH). */
function manSection(name: string): string {
  const m = new RegExp(`^\\.SH ${name}\\n([\\s\\S]*?)(?=^\\.SH |$(?![\\s\\S]))`, 'm').exec(man);
  return m?.[1] ?? '';
}

t.test('every command and option is documented in --help, the README and the man page', async t => {
  const top = await runCli(['--help']);
  t.equal(top.code, 0);
  for (const [name, spec] of Object.entries(COMMANDS)) {
    t.match(top.stdout, new RegExp(`prefork ${name}`), `--help lists '${name}'`);
    t.match(readme, new RegExp(`prefork ${name}`), `README documents '${name}'`);
    t.match(manSection('COMMANDS'), new RegExp(`^\\.B ${name}`, 'm'), `the man page documents '${name}'`);
    const help = await runCli([name, '--help']);
    for (const opt of Object.keys(spec.options)) {
      t.match(help.stdout, new RegExp(`--${opt}\\b`), `prefork ${name} --help lists --${opt}`);
      t.match(readme, new RegExp(`\`--${opt}\\b`), `README documents --${opt}`);
      t.match(manSection('OPTIONS'), new RegExp(`^\\.(BI|B) --${opt}\\b`, 'm'), `the man page documents --${opt}`);
    }
  }
});

t.test('every exit code is documented in the README and the man page', async t => {
  const exitSection = manSection('EXIT STATUS');
  for (const [name, { code, meaning }] of Object.entries(EXIT)) {
    t.ok(readme.includes(`| ${code} | ${meaning} |`), `README: exit ${code} (${name})`);
    const manMeaning = meaning.charAt(0).toUpperCase() + meaning.slice(1);
    t.ok(exitSection.includes(`.B ${code}\n${manMeaning}.`), `man page: exit ${code} (${name})`);
  }
});

t.test('every handled signal is documented in the README and the man page', async t => {
  const sigSection = manSection('SIGNALS');
  for (const [sig, meaning] of Object.entries(SIGNALS)) {
    t.ok(readme.includes(`| \`${sig}\` | ${meaning} |`), `README: ${sig}`);
    t.match(sigSection, new RegExp(`^\\.B ${sig}$`, 'm'), `man page: ${sig}`);
  }
  t.equal((sigSection.match(/^\.B SIG/gm) ?? []).length, Object.keys(SIGNALS).length, 'the man page documents no other signal');
});

t.test('the man page passes mandoc -T lint at warning level', needs('mandoc'), async t => {
  if (!haveTools(t, 'mandoc')) return;
  const r = spawnSync('mandoc', ['-T', 'lint', '-W', 'warning', manFile], { encoding: 'utf8' });
  t.equal(r.error, undefined, 'mandoc runs');
  t.equal(r.status, 0, `no warnings: ${r.stdout}${r.stderr}`);
});
