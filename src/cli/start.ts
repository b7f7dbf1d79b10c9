// `prefork start APP`: validates every option once, at the boundary (STYLE.md 9), opens the listeners and runs the
// supervisor in the foreground until it stops.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseShareSpec, checkUniqueNames } from '../datasets/spec';
import { PreforkError } from '../errors';
import { Supervisor, type SupervisorConfig } from '../supervisor/service';
import type { Listener } from '../supervisor/listeners';
import { activatedListeners, passedSockets } from '../supervisor/activation';
import { resolveCredentials } from '../supervisor/credentials';
import { v8Tuning } from '../supervisor/v8-tuning';
import { forkUnsafeReason, RECOMMENDED_MAJOR } from './node-support';
import { inheritance, type Inheritance } from '../supervisor/upgrade';
import { closeListener, openListener, parseBind } from '../supervisor/listeners';
import * as log from '../supervisor/log';
import { appName, controlDir, defaultControlPath, NAME_PATTERN } from '../supervisor/control-path';
import { memorySize, nonNegativeInt, nonNegativeSeconds, positiveInt, positiveSeconds, type NumericArg } from './option-values';

/** The shortest --timeout: a heartbeat that a garbage collection or a busy tick delays must not look hung. */
const MIN_TIMEOUT_S = 1;
/** Where prefork listens without --bind (and without socket activation). */
const DEFAULT_BIND = '127.0.0.1:8000';

export interface StartArgs {
  app: string;
  share: string[];
  bind: string[] | undefined;
  workers: NumericArg;
  'graceful-timeout': NumericArg;
  'boot-timeout': NumericArg;
  timeout: NumericArg;
  'max-requests': NumericArg;
  'max-requests-jitter': NumericArg;
  'max-memory': string | undefined;
  'max-age': NumericArg;
  'worker-mode': string | undefined;
  'reload-strategy': string;
  preload: boolean;
  env: string[];
  pidfile: string | undefined;
  control: string | undefined;
  name: string | undefined;
  'metrics-bind': string | undefined;
  'log-format': string;
  user: string | undefined;
  group: string | undefined;
  umask: string | undefined;
  chdir: string | undefined;
  'log-file': string | undefined;
  watch: boolean;
  'watch-app': boolean;
}

function badOption(message: string): PreforkError {
  return new PreforkError('PREFORK_BAD_OPTION', message);
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(p);
    if (!m) throw badOption(`--env must be KEY=VALUE, got '${p}'`);
    env[m[1] as string] = m[2] as string;
  }
  return env;
}

/** Turns parsed arguments into a checked supervisor config (without opening anything). */
export function startConfig(args: StartArgs): Omit<SupervisorConfig, 'listeners' | 'upgrade'> {
  const app = path.resolve(args.app);
  if (!fs.existsSync(app)) {
    throw new PreforkError('PREFORK_APP_MISSING', `app ${args.app}: no such file or directory`, { file: args.app });
  }
  const shares = args.share.map(s => parseShareSpec(s, "--share"));
  checkUniqueNames(shares);
  const mode = workerMode(args['worker-mode'], args.preload);
  if (args.preload && mode === 'exec') throw badOption('--preload imports the app in the zygote, and --worker-mode exec has none: drop one of them');
  const name = args.name ?? appName(app);
  if (!NAME_PATTERN.test(name)) throw badOption(`--name must be letters, digits and . _ @ + - (not first), at most 100, got '${name}'`);
  const reloadStrategy = args['reload-strategy'];
  if (reloadStrategy !== 'overlap' && reloadStrategy !== 'replace') throw badOption(`--reload-strategy must be overlap or replace, got '${reloadStrategy}'`);
  return {
    app,
    shares,
    workers: positiveInt('workers', args.workers, os.availableParallelism()),
    gracefulTimeoutMs: positiveSeconds('graceful-timeout', args['graceful-timeout']),
    bootTimeoutMs: positiveSeconds('boot-timeout', args['boot-timeout']),
    // a busy worker's heartbeat (every 100 ms at most) can be a few hundred ms late: below 1 s that is a false kill
    timeoutMs: positiveSeconds('timeout', args.timeout, MIN_TIMEOUT_S),
    maxRequests: nonNegativeInt('max-requests', args['max-requests']),
    maxRequestsJitter: nonNegativeInt('max-requests-jitter', args['max-requests-jitter']),
    maxMemoryBytes: memorySize('max-memory', args['max-memory']),
    maxAgeMs: nonNegativeSeconds('max-age', args['max-age']),
    mode,
    // --preload needs fork mode, so a failed self-check halts it as an explicit --worker-mode fork does
    modeDefaulted: args['worker-mode'] === undefined && !args.preload,
    preload: args.preload,
    env: parseEnv(args.env),
    pidfile: args.pidfile === undefined ? undefined : path.resolve(args.pidfile),
    name,
    control: path.resolve(args.control ?? defaultControlPath(name)),
    metricsBind: args['metrics-bind'] === undefined ? undefined : parseBind(args['metrics-bind'], '--metrics-bind'),
    controlDir: args.control === undefined ? { create: controlDir().create } : undefined,
    idleGraceMs: 1000,
    watch: args.watch,
    watchApp: args['watch-app'],
    reloadStrategy,
    credentials: resolveCredentials(args.user, args.group),
  };
}

/** For tests: set, the version table is not consulted, so the fork self-check meets such a Node itself. */
const SKIP_NODE_TABLE_ENV = '_PREFORK_SKIP_NODE_TABLE';
const knownUnsafe = () => (process.env[SKIP_NODE_TABLE_ENV] === '1' ? undefined : forkUnsafeReason());

/** --worker-mode, or the default: fork where it is safe on this Node, else exec (an error if fork was asked for). */
function workerMode(given: string | undefined, preload: boolean): 'fork' | 'exec' {
  if (given !== undefined && given !== 'fork' && given !== 'exec') throw badOption(`--worker-mode must be fork or exec, got '${given}'`);
  const unsafe = knownUnsafe();
  if (!unsafe || given === 'exec') return given ?? 'fork';
  if (given === 'fork' || preload) {
    throw new PreforkError('PREFORK_UNSUPPORTED_RUNTIME', `${given === 'fork' ? '--worker-mode fork' : '--preload (which needs fork mode)'} is refused on this Node: ${unsafe}. Use --worker-mode exec, or Node ${RECOMMENDED_MAJOR} (recommended)`);
  }
  return 'exec'; // start() says so, once the log is set up
}

/** --chdir and --umask: first, so that every path given is resolved from --chdir and every file made with --umask. */
function applyProcessOptions(args: StartArgs): void {
  if (args.umask !== undefined) {
    if (!/^0?[0-7]{3}$/.test(args.umask)) throw badOption(`--umask must be an octal mode such as 027 or 0077, got '${args.umask}'`);
    process.umask(Number.parseInt(args.umask, 8));
  }
  if (args.chdir !== undefined) {
    try {
      process.chdir(args.chdir);
    } catch (e) {
      throw new PreforkError('PREFORK_BAD_OPTION', `--chdir ${args.chdir}: cannot change to it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
    }
  }
}

/** --log-format and --log-file, before the first line is logged. */
function configureStartLog(args: StartArgs, name: string): void {
  const format = args['log-format'];
  if (format !== 'text' && format !== 'json') throw badOption(`--log-format must be text or json, got '${format}'`);
  const file = args['log-file'] === undefined ? undefined : path.resolve(args['log-file']);
  try {
    log.configureLog({ format, file, name });
  } catch (e) {
    throw new PreforkError('PREFORK_BAD_OPTION', `--log-file ${file}: cannot open it for appending (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
}

/**
 * The sockets to serve on: those a supervisor being upgraded handed over, else those the service manager passed
 * (socket activation), else --bind's, bound now.
 */
function listenersFor(bind: readonly string[] | undefined, upgrade: Inheritance | undefined): Listener[] {
  if (upgrade) {
    log.info(`upgrade: took over ${upgrade.listeners.length} listening socket(s) from supervisor pid ${upgrade.from}: ${upgrade.listeners.map(l => l.label).join(', ')}`);
    return upgrade.listeners.map(l => ({ spec: l.spec, fd: l.fd, label: l.label }));
  }
  const passed = passedSockets();
  if (passed) {
    const chosen = activatedListeners(passed, bind ?? []);
    log.info(`socket activation: serving on the ${chosen.length} socket(s) the service manager passed (${chosen.map(l => `${l.spec.kind === 'passed' ? l.spec.name : '?'} ${l.label}`).join(', ')}); binding nothing`);
    return chosen;
  }
  const specs = (bind?.length ? bind : [DEFAULT_BIND]).map(b => parseBind(b)); // all checked before any is bound
  const listeners: Listener[] = [];
  try {
    for (const spec of specs) listeners.push(openListener(spec));
  } catch (e) {
    for (const l of listeners) closeListener(l);
    throw e;
  }
  return listeners;
}

/** Runs `prefork start` and resolves with the supervisor's exit code. */
export async function start(args: StartArgs): Promise<number> {
  const upgrade = inheritance();
  if (upgrade) process.chdir(upgrade.cwd); // where the old one started, so a relative --chdir means the same
  applyProcessOptions(args);
  const cfg = startConfig(args);
  configureStartLog(args, cfg.name);
  const unsafe = knownUnsafe();
  if (unsafe && args['worker-mode'] === undefined) log.warn(`worker mode exec: ${unsafe}; Node ${RECOMMENDED_MAJOR} (recommended) forks`);
  const slow = cfg.mode === 'fork' ? v8Tuning().forkSlow : undefined;
  if (slow) log.warn(`hot loops: on Node ${process.versions.node}, ${slow}`);
  if (cfg.credentials) log.info(`zygotes and workers run as ${cfg.credentials.label}; the supervisor keeps uid ${process.getuid?.() ?? '?'}`);
  const listeners = listenersFor(args.bind, upgrade);
  try {
    return await new Supervisor({ ...cfg, listeners, upgrade }).run();
  } catch (e) {
    // an upgrade's sockets are the old supervisor's, still serving: close them, never unlink their files
    for (const l of listeners) (upgrade ? fs.closeSync(l.fd) : closeListener(l));
    throw e;
  }
}
