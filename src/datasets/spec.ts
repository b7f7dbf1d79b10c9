// `--share [NAME=]PATH[:dtype[shape]]` (and `prefork inspect` arguments): validated once here, where they enter, so
// the loaders can trust a ShareSpec.
import * as path from 'node:path';
import { PreforkError } from '../errors';
import { DTYPE_SIZE, isDType, type DType } from './dtypes';
import { byteLengthOf } from './raw';

/** A parsed --share value. `dtype`/`shape` are only ever set for raw files. */
export interface ShareSpec {
  name: string;
  path: string;
  dtype?: DType;
  shape?: number[];
}

/** Extensions whose files carry their own dtype and shape. */
const SELF_DESCRIBING = ['.npy', '.npz', '.safetensors'];

type Fail = (detail: string) => never;

/**
 * Parses `[NAME=]PATH[:dtype[shape]]`. A NAME is the text before the first '=' when it contains no '/' (so
 * `./a=b.bin` is a path); a ':' suffix is split off as splitType says. `option` names the flag in messages.
 *
 * The name (NAME, else the file's stem) is only a key: of the worker API's dataset(name), a JSON field of the memfd's
 * header and part of the memfd's label, none of which restricts its characters. So any stem is a name, as it is
 * (`10-float32.npy` is dataset('10-float32'), `weights (1).npy` is dataset('weights (1)')). Refused are only an empty
 * name and a stem holding '=' (it would read as NAME=PATH in `NAME=PATH` messages and logs).
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
  if (explicit !== undefined && name === '') fail("NAME: expected a name before the '=', got nothing");
  if (explicit === undefined && (name === '' || name.includes('='))) {
    fail(`NAME: the file's stem '${name}' cannot be a dataset name (${name === '' ? 'it is empty' : "it holds '='"}); give one as NAME=${file}`);
  }
  return { name, path: file, ...(dtype === undefined ? {} : { dtype }), ...(shape === undefined ? {} : { shape }) };
}

const DTYPES = Object.keys(DTYPE_SIZE).join(' ');

/** Type names with no digit that someone may write for a dtype (numpy, C, torch). */
const TYPE_WORDS = new Set(['float', 'double', 'half', 'bfloat', 'int', 'uint', 'long', 'short', 'byte', 'char', 'complex', 'boolean']);

/**
 * Splits off a `:dtype` or `:dtype[d0,d1,...]` suffix. Only the text after the last ':' (the tail) can be one:
 * - a tail that is a dtype, optionally followed by '[', is the dtype (and the shape, checked by parseShape);
 * - a tail that looks like a dtype but is none fails with PREFORK_BAD_SPEC listing the dtypes, rather than being
 *   taken for part of a path that then does not exist. Looking like one: a word of letters, digits and '_' followed
 *   by a [...] with no '/' in it (`foo[3]`, `[3]`); a type prefix (f i u b c bf fp float int uint bfloat complex,
 *   in any case) followed by a digit (`f65`, `float32`, `i33`, `F32`); a type word (TYPE_WORDS: `float`, `double`);
 *   a dtype in capitals (`BOOL`); nothing (`data.bin:`);
 * - any other tail is part of the path: one with a '.', '/', '-', space or other punctuation outside a [...]
 *   (`logs/a:b.bin`, `x:2024-01-01.bin`, `a:b/c`), all digits (`logs/12:30`), or a word that does not start like a
 *   type (`notes:todo`, `model:v2`).
 * A raw file whose name does end in a dtype-like tail can still be given, with a dtype: `data:f65:u8`.
 */
function splitType(rest: string, fail: Fail): { file: string; dtype?: DType; shape?: number[] } {
  const colon = rest.lastIndexOf(':');
  if (colon < 0) return { file: rest };
  const tail = rest.slice(colon + 1);
  const m = /^(\w*)(\[.*)?$/s.exec(tail);
  const word = m?.[1];
  if (m === null || word === undefined) return { file: rest };
  const file = rest.slice(0, colon);
  if (isDType(word)) return m[2] === undefined ? { file, dtype: word } : { file, dtype: word, shape: parseShape(m[2], word, fail) };
  const shaped = m[2] !== undefined && m[2].endsWith(']') && !m[2].includes('/');
  const lower = word.toLowerCase();
  const typeLike = m[2] === undefined && (/^(?:[fiubc]|bf|fp|float|u?int|bfloat|complex)\d/i.test(word) || TYPE_WORDS.has(lower) || isDType(lower));
  if (tail === '' || shaped || typeLike) {
    const hint = word !== lower && isDType(lower) ? ` (dtypes are lower case: '${lower}')` : '';
    fail(`dtype: expected one of ${DTYPES} after the last ':', got ${word === '' ? 'nothing' : `'${word}'`}${hint}`);
  }
  return { file: rest };
}

/** `[1000,64]` → [1000, 64]; `[]` is a 0-d array (one element). */
function parseShape(text: string, dtype: DType, fail: Fail): number[] {
  const inner = /^\[(.*)\]$/s.exec(text)?.[1];
  if (inner === undefined) fail(`shape: expected [d0,d1,...] after the dtype, got '${text}'`);
  const parts = inner.trim() === '' ? [] : inner.split(',').map(s => s.trim());
  const bad = parts.find(p => !/^\d+$/.test(p));
  if (bad !== undefined) fail(`shape: expected non-negative integers in ${text}, got '${bad}'`);
  // A raw file is never empty (openSource refuses one), so no raw array can keep a dimension a number cannot hold.
  const huge = parts.find(p => !Number.isSafeInteger(Number(p)));
  if (huge !== undefined) fail(`shape: dimension '${huge}' in ${text} is beyond JavaScript's safe integers (2^53 - 1)`);
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
