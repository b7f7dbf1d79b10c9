// `--share [NAME=]PATH[:dtype[shape]]` (and `prefork inspect` arguments): validated once here, where they enter, so
// the loaders can trust a ShareSpec.
import * as path from 'node:path';
import { PreforkError } from '../errors';
import { isDType, type DType } from './dtypes';
import { byteLengthOf } from './raw';

/** A parsed --share value. `dtype`/`shape` are only ever set for raw files. */
export interface ShareSpec {
  name: string;
  path: string;
  dtype?: DType;
  shape?: number[];
}

/** What a dataset name must look like (it becomes a key in the worker API and part of the memfd's name). */
export const SHARE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Extensions whose files carry their own dtype and shape. */
const SELF_DESCRIBING = ['.npy', '.npz', '.safetensors'];

type Fail = (detail: string) => never;

/**
 * Parses `[NAME=]PATH[:dtype[shape]]`. A NAME is the text before the first '=' when it contains no '/' (so
 * `./a=b.bin` is a path); the dtype suffix is the text after the last ':' only when it is a known dtype, optionally
 * followed by [d0,d1,...] (so other paths with ':' still work). `option` names the flag in messages.
 */
export function parseShareSpec(arg: string, option = '--share'): ShareSpec {
  const fail: Fail = detail => {
    throw new PreforkError('PREFORK_BAD_SPEC', `${option} '${arg}': ${detail}`);
  };
  const eq = arg.indexOf('=');
  const explicit = eq >= 0 && !arg.slice(0, eq).includes('/') ? arg.slice(0, eq) : undefined;
  const { file, dtype, shape } = splitType(explicit === undefined ? arg : arg.slice(eq + 1), fail);
  if (file === '') fail('PATH: expected a file path, got nothing');
  const ext = path.extname(file).toLowerCase();
  if (dtype !== undefined && SELF_DESCRIBING.includes(ext)) {
    fail(`dtype applies only to raw files; a ${ext} file records its own dtype and shape, so drop ':${dtype}${shape ? `[${shape.join(',')}]` : ''}'`);
  }
  const name = explicit ?? path.parse(file).name;
  if (!SHARE_NAME.test(name)) {
    fail(explicit !== undefined
      ? `NAME: expected letters, digits, '_', '.' or '-' not starting with a digit, '.' or '-', got '${name}'`
      : `NAME: the file's stem '${name}' is not a valid name (letters, digits, '_', '.', '-', not starting with a digit, '.' or '-'); give one as NAME=${file}`);
  }
  return { name, path: file, ...(dtype === undefined ? {} : { dtype }), ...(shape === undefined ? {} : { shape }) };
}

/** Splits off a `:dtype` or `:dtype[d0,d1,...]` suffix when there is one. */
function splitType(rest: string, fail: Fail): { file: string; dtype?: DType; shape?: number[] } {
  const colon = rest.lastIndexOf(':');
  const m = colon < 0 ? null : /^([a-z0-9]+)(\[.*)?$/s.exec(rest.slice(colon + 1));
  const dtype = m?.[1];
  if (m === null || dtype === undefined || !isDType(dtype)) return { file: rest };
  const file = rest.slice(0, colon);
  return m[2] === undefined ? { file, dtype } : { file, dtype, shape: parseShape(m[2], dtype, fail) };
}

/** `[1000,64]` → [1000, 64]; `[]` is a 0-d array (one element). */
function parseShape(text: string, dtype: DType, fail: Fail): number[] {
  const inner = /^\[(.*)\]$/s.exec(text)?.[1];
  if (inner === undefined) fail(`shape: expected [d0,d1,...] after the dtype, got '${text}'`);
  const parts = inner.trim() === '' ? [] : inner.split(',').map(s => s.trim());
  const bad = parts.find(p => !/^\d+$/.test(p) || !Number.isSafeInteger(Number(p)));
  if (bad !== undefined) fail(`shape: expected non-negative integers in ${text}, got '${bad}'`);
  const shape = parts.map(Number);
  if (byteLengthOf(shape, dtype) === undefined) fail(`shape: ${text} of ${dtype} has more bytes than fit in memory`);
  return shape;
}

/** The canonical text of a spec (`NAME=PATH[:dtype[shape]]`), for messages and logs. */
export function formatShareSpec(spec: ShareSpec): string {
  const type = spec.dtype === undefined ? '' : `:${spec.dtype}${spec.shape ? `[${spec.shape.join(',')}]` : ''}`;
  return `${spec.name}=${spec.path}${type}`;
}

/** Two datasets may not share a name (a worker asks for them by name): throws PREFORK_DATASET_DUPLICATE naming both. */
export function checkUniqueNames(specs: readonly ShareSpec[], option = '--share'): void {
  const byName = new Map<string, ShareSpec>();
  for (const spec of specs) {
    const first = byName.get(spec.name);
    if (first !== undefined) {
      throw new PreforkError(
        'PREFORK_DATASET_DUPLICATE',
        `${option}: expected each dataset name once, got '${spec.name}' twice: '${formatShareSpec(first)}' and '${formatShareSpec(spec)}'; give one of them another NAME=`,
        { file: spec.path },
      );
    }
    byName.set(spec.name, spec);
  }
}
