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

/** A whole number, 0 or more (`--max-requests 0` turns recycling off). */
export function nonNegativeInt(option: string, raw: NumericArg): number {
  const expected = 'a whole number, 0 or more';
  if (raw === undefined) return 0;
  const v = single(option, expected, raw);
  const n = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw bad(option, expected, `'${String(v)}'`);
  return n;
}

/** Seconds, 0 or more, in milliseconds (0: off). */
export function nonNegativeSeconds(option: string, raw: NumericArg): number {
  if (raw === undefined || raw === 0 || raw === '0') return 0;
  return positiveSeconds(option, raw);
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** A memory size: bytes, or a number with K, M, G or T (binary: 1M = 1 MiB; KB/MB/KiB/MiB spellings too). */
export function memorySize(option: string, raw: string | undefined): number {
  if (raw === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(String(raw).trim());
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
  const n = m && unit ? Math.round(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw bad(option, 'a size such as 512M, 1G or 65536 (bytes)', `'${String(raw)}'`);
  return n;
}

/** A positive number of seconds (`--timeout 1.5`), at least `min` seconds, in milliseconds. */
export function positiveSeconds(option: string, raw: NumericArg, min = 0): number {
  const expected = min > 0 ? `a number of seconds, at least ${min}` : 'a positive number of seconds';
  if (raw === undefined) throw bad(option, expected, 'nothing');
  const v = single(option, expected, raw);
  const n = typeof v === 'number' ? v : /^(\d+\.?\d*|\.\d+)$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n < min) throw bad(option, expected, `'${String(v)}'`);
  return n * 1000;
}
