// Numeric option values, checked from the text the user gave (on the command line or in PREFORK_*). main.ts has yargs
// keep the options the table types as numbers as text, because yargs' own coercion turns 'abc' into NaN and a message
// could then only say "got 'NaN'".
import { PreforkError } from '../errors';

/** A numeric option as parsed: its text, its default (a number), the texts of a repeated option, or nothing. */
export type NumericArg = string | number | readonly (string | number)[] | undefined;

function bad(option: string, expected: string, got: string): PreforkError {
  return new PreforkError('PREFORK_BAD_OPTION', `--${option} must be ${expected}, got ${got}`);
}

/** The one value of `raw`, or a PREFORK_BAD_OPTION naming every value when the option was given more than once. */
function single(option: string, expected: string, raw: string | number | readonly (string | number)[]): string | number {
  if (typeof raw === 'string' || typeof raw === 'number') return raw;
  throw bad(option, `${expected} given once`, raw.map(v => `'${String(v)}'`).join(' and '));
}

/** A positive integer (`--workers 4`); `fallback` when the option is absent. */
export function positiveInt(option: string, raw: NumericArg, fallback: number): number {
  if (raw === undefined) return fallback;
  const expected = 'a positive integer';
  const v = single(option, expected, raw);
  const n = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw bad(option, expected, `'${String(v)}'`);
  return n;
}

/** A positive number of seconds (`--timeout 1.5`), in milliseconds. */
export function positiveSeconds(option: string, raw: NumericArg): number {
  const expected = 'a positive number of seconds';
  if (raw === undefined) throw bad(option, expected, 'nothing');
  const v = single(option, expected, raw);
  const n = typeof v === 'number' ? v : /^(\d+\.?\d*|\.\d+)$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw bad(option, expected, `'${String(v)}'`);
  return n * 1000;
}
