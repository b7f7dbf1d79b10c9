// `prefork inspect FILE…`: loads each file exactly as --share would (into a sealed memfd, attached read-only) and
// prints what a worker would see, with a sum and a sha256 that can be compared with numpy's.
import { createHash, randomUUID } from 'node:crypto';
import { attachDataset } from '../datasets/handle';
import { loadDataset } from '../datasets/load';
import { sumOf } from '../datasets/numeric';
import { parseShareSpec } from '../datasets/spec';

/** A float64 sum as JSON can carry it: a finite sum is a number, the others are named (JSON has no NaN or infinity). */
export type JsonSum = number | 'NaN' | 'Infinity' | '-Infinity';

export interface InspectedArray {
  key: string;
  dtype: string;
  shape: number[];
  byteLength: number;
  sum: JsonSum;
  sha256: string;
}

/** `sum` for InspectedArray: JSON.stringify would print NaN and both infinities as null, which no script can tell apart. */
export function jsonSum(sum: number): JsonSum {
  if (Number.isFinite(sum)) return sum;
  return Number.isNaN(sum) ? 'NaN' : sum > 0 ? 'Infinity' : '-Infinity';
}

export interface InspectedFile {
  file: string;
  name: string;
  format: string;
  metadata: Record<string, string>;
  arrays: InspectedArray[];
}

/** Loads and describes one FILE[:dtype[shape]] argument. */
export async function inspectOne(arg: string): Promise<InspectedFile> {
  const spec = parseShareSpec(arg, 'inspect');
  const shared = await loadDataset(spec);
  try {
    const d = attachDataset(shared.fd);
    return {
      file: spec.path,
      name: spec.name,
      format: d.format,
      metadata: { ...d.metadata },
      arrays: d.keys().map(key => {
        const m = d.meta(key);
        return {
          key,
          dtype: m.dtype,
          shape: m.shape,
          byteLength: m.byteLength,
          sum: jsonSum(sumOf(m.dtype, d.array(key))),
          sha256: createHash('sha256').update(d.bytes(key)).digest('hex'),
        };
      }),
    };
  } finally {
    shared.close();
  }
}

/**
 * A dimension as its exact digits. Above 2^53 - 1 (kept only in an empty array) String() would print the shortest
 * decimal of the float64 instead, 2**61 as 2305843009213694000, which a reader in another language takes at its word.
 */
function exactDim(d: number): string {
  return Number.isSafeInteger(d) || !Number.isInteger(d) ? String(d) : BigInt(d).toString();
}

/** The --json form: as JSON.stringify, with every dimension printed exactly (exactDim). */
export function inspectionJson(files: InspectedFile[]): string {
  const shapes = new Set<unknown>(files.flatMap(f => f.arrays.map(a => a.shape)));
  const mark = `exact-dim:${randomUUID()}:`;
  const text = JSON.stringify({ files }, function (this: unknown, _key: string, value: unknown) {
    return shapes.has(this) && typeof value === 'number' && !Number.isSafeInteger(value) ? `${mark}${exactDim(value)}` : value;
  }, 2);
  return text.replace(new RegExp(`"${mark}([^"]*)"`, 'g'), '$1');
}

/** Human-readable form: one block per file, one line per array. */
export function formatInspection(files: InspectedFile[]): string {
  const lines: string[] = [];
  for (const f of files) {
    lines.push(`${f.file}: dataset '${f.name}', ${f.format}, ${f.arrays.length} array${f.arrays.length === 1 ? '' : 's'}`);
    for (const [k, v] of Object.entries(f.metadata)) lines.push(`  metadata ${k} = ${v}`);
    for (const a of f.arrays) {
      lines.push(
        `  ${a.key === '' ? '(array)' : a.key}  ${a.dtype}  [${a.shape.map(exactDim).join(', ')}]  ${a.byteLength} bytes  sum ${a.sum}  sha256 ${a.sha256}`,
      );
    }
  }
  return lines.join('\n');
}
