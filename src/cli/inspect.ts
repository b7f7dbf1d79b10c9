// `prefork inspect FILE…`: loads each file exactly as --share would (into a sealed memfd, attached read-only) and
// prints what a worker would see, with a sum and a sha256 that can be compared with numpy's.
import { createHash } from 'node:crypto';
import { attachDataset } from '../datasets/handle';
import { loadDataset } from '../datasets/load';
import { sumOf } from '../datasets/numeric';
import { parseShareSpec } from '../datasets/spec';

export interface InspectedArray {
  key: string;
  dtype: string;
  shape: number[];
  byteLength: number;
  sum: number;
  sha256: string;
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
          sum: sumOf(m.dtype, d.array(key)),
          sha256: createHash('sha256').update(d.bytes(key)).digest('hex'),
        };
      }),
    };
  } finally {
    shared.close();
  }
}

/** Human-readable form: one block per file, one line per array. */
export function formatInspection(files: InspectedFile[]): string {
  const lines: string[] = [];
  for (const f of files) {
    lines.push(`${f.file}: dataset '${f.name}', ${f.format}, ${f.arrays.length} array${f.arrays.length === 1 ? '' : 's'}`);
    for (const [k, v] of Object.entries(f.metadata)) lines.push(`  metadata ${k} = ${v}`);
    for (const a of f.arrays) {
      lines.push(
        `  ${a.key === '' ? '(array)' : a.key}  ${a.dtype}  [${a.shape.join(', ')}]  ${a.byteLength} bytes  sum ${a.sum}  sha256 ${a.sha256}`,
      );
    }
  }
  return lines.join('\n');
}
