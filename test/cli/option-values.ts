// Numeric options (src/cli/option-values.ts): a bad value is quoted as the user typed it, not as yargs' NaN, for every
// numeric option of every command, through the real CLI; and the validators on their own.
import * as path from 'node:path';
import t from 'tap';
import { positiveInt, positiveSeconds } from '../../src/cli/option-values';
import { EXIT } from '../../src/exit-codes';
import { throwsPrefork } from '../helpers/build';
import { APPS, runCli } from '../helpers/prefork';

/** Runs `prefork …args` with only PATH in the environment (killed after 30 s). */
const prefork = (args: string[]) => runCli(args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeoutMs: 30_000 });

const app = path.join(APPS, 'probe.js');
const nowhere = '/nonexistent/prefork-test.sock';

t.test('a bad numeric option exits 64 quoting what was typed', async t => {
  const cases: [string[], string][] = [
    [['start', app, '--workers', 'abc'], "--workers must be a positive integer, got 'abc'"],
    [['start', app, '--workers', '1.5'], "--workers must be a positive integer, got '1.5'"],
    [['start', app, '--workers', '0'], "--workers must be a positive integer, got '0'"],
    [['start', app, '--workers', '1e3'], "--workers must be a positive integer, got '1e3'"],
    [['start', app, '--workers='], "--workers must be a positive integer, got ''"],
    [['start', app, '--workers', '2', '--workers', '3'], "--workers must be a positive integer given once, got '2' and '3'"],
    [['start', app, '--graceful-timeout', 'abc'], "--graceful-timeout must be a positive number of seconds, got 'abc'"],
    [['start', app, '--graceful-timeout', '-1'], "--graceful-timeout must be a positive number of seconds, got '-1'"],
    [['start', app, '--boot-timeout', '10s'], "--boot-timeout must be a positive number of seconds, got '10s'"],
    [['status', '--control', nowhere, '--timeout', 'abc'], "--timeout must be a positive number of seconds, got 'abc'"],
    [['reload', '--control', nowhere, '--timeout', 'soon'], "--timeout must be a positive number of seconds, got 'soon'"],
    [['stop', '--pidfile', '/nonexistent/prefork.pid', '--timeout', 'x'], "--timeout must be a positive number of seconds, got 'x'"],
  ];
  for (const [args, message] of cases) {
    const r = await prefork(args);
    t.equal(r.code, EXIT.USAGE.code, `${args.slice(2).join(' ')}: exit 64`);
    t.equal(r.stderr, `prefork: ${message} [PREFORK_BAD_OPTION]\n`, `${args.slice(2).join(' ')}: ${message}`);
  }
});

t.test('numeric options still show as numbers in --help', async t => {
  const r = await prefork(['start', '--help']);
  t.match(r.stdout, /--workers .*\[number\]/);
  t.match(r.stdout, /--graceful-timeout[\s\S]*?\[number\] \[default: 30\]/);
});

t.test('positiveInt and positiveSeconds', async t => {
  t.equal(positiveInt('workers', undefined, 7), 7, 'absent: the fallback');
  t.equal(positiveInt('workers', '12', 7), 12);
  t.equal(positiveInt('workers', 3, 7), 3, 'a number (a default)');
  throwsPrefork(t, () => positiveInt('workers', ' 4', 1), 'PREFORK_BAD_OPTION', "--workers must be a positive integer, got ' 4'");
  throwsPrefork(t, () => positiveInt('workers', '0x10', 1), 'PREFORK_BAD_OPTION', "got '0x10'");
  throwsPrefork(t, () => positiveInt('workers', '99999999999999999999', 1), 'PREFORK_BAD_OPTION', "got '99999999999999999999'");
  t.equal(positiveSeconds('timeout', '1.5'), 1500);
  t.equal(positiveSeconds('timeout', '.5'), 500);
  t.equal(positiveSeconds('timeout', 30), 30_000, 'a default');
  throwsPrefork(t, () => positiveSeconds('timeout', 'NaN'), 'PREFORK_BAD_OPTION', "--timeout must be a positive number of seconds, got 'NaN'");
  throwsPrefork(t, () => positiveSeconds('timeout', 'Infinity'), 'PREFORK_BAD_OPTION', "got 'Infinity'");
  throwsPrefork(t, () => positiveSeconds('timeout', '0'), 'PREFORK_BAD_OPTION', "got '0'");
  throwsPrefork(t, () => positiveSeconds('timeout', '0.5', 1), 'PREFORK_BAD_OPTION', 'must be a number of seconds, at least 1', "got '0.5'");
  t.equal(positiveSeconds('timeout', '1', 1), 1000, 'the minimum itself is fine');
  throwsPrefork(t, () => positiveSeconds('timeout', undefined), 'PREFORK_BAD_OPTION', '--timeout must be a positive number of seconds, got nothing');
  throwsPrefork(t, () => positiveSeconds('timeout', ['1', '2']), 'PREFORK_BAD_OPTION', "--timeout must be a positive number of seconds given once, got '1' and '2'");
});
