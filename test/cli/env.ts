// Options from PREFORK_* variables (src/cli/env.ts), through the real CLI with an environment given explicitly (not
// cleanEnv's copy of ours): an unknown variable or PREFORK itself is warned about or ignored and the command runs;
// a known one sets its command's option, below the command line.
import * as path from 'node:path';
import t from 'tap';
import { envName, envValues, unknownEnvWarnings } from '../../src/cli/env';
import { COMMANDS } from '../../src/cli/options';
import { EXIT } from '../../src/exit-codes';
import { APPS, FIXTURES, runCli, startPrefork } from '../helpers/prefork';

/** Runs `prefork …args` with exactly `env` plus PATH (killed after 30 s). */
const prefork = (args: string[], env: Record<string, string>) => runCli(args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeoutMs: 30_000 });

const vector = path.join(FIXTURES, 'f64_vector.npy');
const nowhere = '/nonexistent/prefork-test.sock';

t.test('PREFORK alone and unknown PREFORK_* variables no longer fail every command', async t => {
  const r = await prefork(['inspect', vector], { PREFORK: '1', PREFORK_HOME: '/x', PREFORK_WORKER: '3', PREFORKX: 'y' });
  t.equal(r.code, 0, `inspect runs (stderr: ${r.stderr})`);
  t.notMatch(r.stderr, /Unknown argument/);
  t.match(r.stdout, /^\S+f64_vector\.npy: dataset 'f64_vector', npy, 1 array$/m, 'and prints its report');
  t.same(r.stderr.trimEnd().split('\n'), [
    'prefork: warning: ignoring environment variable PREFORK_HOME: it sets no option',
    'prefork: warning: ignoring environment variable PREFORK_WORKER: it sets no option; did you mean PREFORK_WORKERS (--workers)?',
  ], 'one warning line per unknown PREFORK_ variable, naming it and the closest option; none for PREFORK or PREFORKX');
  const bare = await prefork(['inspect', vector], { PREFORK: '' });
  t.same([bare.code, bare.stderr], [0, ''], 'PREFORK alone is silently ignored');
  const help = await prefork(['--help'], { PREFORK_HOME: '/x' });
  t.equal(help.code, 0, '--help works too');
});

t.test("a known variable sets its command's option; the command line wins", async t => {
  const json = await prefork(['inspect', vector], { PREFORK_JSON: 'true' });
  t.equal(json.code, 0, json.stderr);
  t.equal((JSON.parse(json.stdout) as { files: unknown[] }).files.length, 1, 'PREFORK_JSON=true prints JSON');
  const bad = await prefork(['start', path.join(APPS, 'probe.js')], { PREFORK_WORKERS: 'abc', PREFORK_HOME: '/x' });
  t.equal(bad.code, EXIT.USAGE.code, 'start reads PREFORK_WORKERS');
  t.match(bad.stderr, "prefork: --workers must be a positive integer, got 'abc' [PREFORK_BAD_OPTION]");
  const timeout = await prefork(['status', '--control', nowhere], { PREFORK_TIMEOUT: '0' });
  t.equal(timeout.code, EXIT.USAGE.code, 'status reads PREFORK_TIMEOUT');
  t.match(timeout.stderr, "--timeout must be a positive number of seconds, got '0'");
  const cli = await prefork(['status', '--control', nowhere, '--timeout', '5'], { PREFORK_TIMEOUT: '0' });
  t.equal(cli.code, EXIT.UNAVAILABLE.code, `--timeout 5 beats PREFORK_TIMEOUT=0: the command gets as far as the socket (${cli.stderr})`);
});

t.test("another command's variable is no error and no warning: one environment file serves every command", async t => {
  const r = await prefork(['status', '--control', nowhere], { PREFORK_WORKERS: '4', PREFORK_GRACEFUL_TIMEOUT: '5', PREFORK_SHARE: 'a.npy' });
  t.equal(r.code, EXIT.UNAVAILABLE.code, 'status runs and finds no supervisor');
  t.notMatch(r.stderr, /Unknown argument|warning/);
});

t.test('start serves with PREFORK_WORKERS beside unknown PREFORK variables', async t => {
  const p = await startPrefork(t, ['start', path.join(APPS, 'probe.js'), '--bind', '127.0.0.1:0'], {
    env: { PREFORK: '1', PREFORK_HOME: '/x', PREFORK_WORKERS: '1', PREFORK_GRACEFUL_TIMEOUT: '5' },
  });
  t.match(p.output(), /generation 1 ready: 1 workers/, 'one worker, as PREFORK_WORKERS says');
  t.match(p.output(), 'ignoring environment variable PREFORK_HOME', 'the environment reached prefork as given');
  p.proc.kill('SIGTERM');
  t.equal((await p.exited).code, 0, 'and stops cleanly');
});

t.test('envName, envValues and unknownEnvWarnings', async t => {
  t.equal(envName('graceful-timeout'), 'PREFORK_GRACEFUL_TIMEOUT');
  t.same(envValues(COMMANDS.start.options, { PREFORK_WORKERS: '4', PREFORK_JSON: 'true', PREFORK_BOOT_TIMEOUT: '9', WORKERS: '2' }), { workers: '4', 'boot-timeout': '9' }, "only the command's own options");
  t.same(envValues(COMMANDS.inspect.options, { PREFORK_WORKERS: '4', PREFORK_JSON: 'true' }), { json: 'true' });
  t.same(unknownEnvWarnings({ PREFORK: 'x', PREFORK_WORKERS: '4', PREFORK_JSON: '1', HOME: '/root', _PREFORK_RUNTIME: '{}' }), [], 'known and foreign variables');
  t.same(unknownEnvWarnings({ PREFORK_GRACEFUL_TIMOUT: '1', PREFORK_watch: '1', PREFORK_: '', PREFORK_ZZZ: '' }), [
    'prefork: warning: ignoring environment variable PREFORK_: it sets no option',
    'prefork: warning: ignoring environment variable PREFORK_GRACEFUL_TIMOUT: it sets no option; did you mean PREFORK_GRACEFUL_TIMEOUT (--graceful-timeout)?',
    'prefork: warning: ignoring environment variable PREFORK_ZZZ: it sets no option',
    'prefork: warning: ignoring environment variable PREFORK_watch: it sets no option; did you mean PREFORK_WATCH (--watch)?',
  ], 'sorted by name; a suggestion only when one is close');
});
