// Options from the environment: each option of the command being run can be set as PREFORK_ + its name in capitals
// ('-' as '_': PREFORK_GRACEFUL_TIMEOUT). Read here, from the option table, rather than by yargs' .env('PREFORK'),
// which turns every variable starting with PREFORK into an option, so that with .strict() an unrelated one
// (PREFORK_HOME, or PREFORK itself) made every command fail with "Unknown argument".
import type { Options } from 'yargs';
import { COMMANDS } from './options';

const PREFIX = 'PREFORK_';

/** The variable that sets `option`. */
export function envName(option: string): string {
  return PREFIX + option.toUpperCase().replace(/-/g, '_');
}

/**
 * The values `env` gives for `options` (one command's), keyed by option name, for yargs to parse as a config object:
 * below the command line, above the defaults.
 */
export function envValues(options: Readonly<Record<string, Options>>, env: NodeJS.ProcessEnv): Record<string, string> {
  const values: Record<string, string> = {};
  for (const option of Object.keys(options)) {
    const value = env[envName(option)];
    if (value !== undefined) values[option] = value;
  }
  return values;
}

/**
 * One warning line for each PREFORK_* variable that sets no option of any command, naming the closest one when one is
 * close. A variable for another command's option (PREFORK_WORKERS while running `prefork reload`) is not unknown:
 * one environment file can serve every command. `PREFORK` alone and names such as PREFORKX are not prefork's.
 */
export function unknownEnvWarnings(env: NodeJS.ProcessEnv): string[] {
  const known = new Map<string, string>();
  for (const spec of Object.values(COMMANDS)) for (const option of Object.keys(spec.options)) known.set(envName(option), option);
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(PREFIX) || known.has(name)) continue;
    const near = closest(name, [...known.keys()]);
    const hint = near === undefined ? '' : `; did you mean ${near} (--${known.get(near) ?? ''})?`;
    warnings.push(`prefork: warning: ignoring environment variable ${name}: it sets no option${hint}`);
  }
  return warnings;
}

/** The candidate nearest to `name` (case-insensitive edit distance), if it is within a third of its length. */
function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.slice(PREFIX.length).toUpperCase(), c.slice(PREFIX.length));
    if (d < bestDistance && d <= Math.max(1, Math.floor((c.length - PREFIX.length) / 3))) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length] ?? 0;
}
