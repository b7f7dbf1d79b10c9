// One error class for everything prefork reports: a stable `code`, a message that names the file, field and
// expected value, and the underlying `cause` when there is one (undici/execa style).

/** Every code prefork can throw, with the exit code the CLI uses for it. */
export const ERROR_CODES = {
  PREFORK_NO_DATASET: 'an app asked for a dataset or array that does not exist',
  PREFORK_DATASET_MISSING: 'a dataset file does not exist or cannot be read',
  PREFORK_DATASET_EMPTY: 'a dataset file is empty',
  PREFORK_DATASET_BAD_HEADER: 'a dataset header is malformed',
  PREFORK_DATASET_BAD_DTYPE: 'a dataset uses an unknown, unsupported or object dtype',
  PREFORK_DATASET_BAD_SHAPE: 'a dataset shape is invalid',
  PREFORK_DATASET_TRUNCATED: 'a dataset file is shorter than its header says',
  PREFORK_DATASET_SIZE_MISMATCH: 'a dataset size disagrees with its shape',
  PREFORK_DATASET_BAD_OFFSETS: 'safetensors offsets are out of range, overlap or leave holes',
  PREFORK_DATASET_DUPLICATE: 'two datasets or arrays have the same name',
  PREFORK_DATASET_BAD_ARCHIVE: 'an .npz archive is malformed or uses an unsupported feature',
  PREFORK_BAD_SPEC: 'a --share value is malformed',
  PREFORK_BAD_OPTION: 'a command-line option has a bad value',
  PREFORK_NATIVE: 'a system call in the native shim failed',
  PREFORK_UNSUPPORTED_RUNTIME: 'the runtime refuses something prefork needs',
  PREFORK_APP_MISSING: 'the app file or directory does not exist',
  PREFORK_NOT_RUNNING: 'no supervisor answers for this pidfile or control socket',
  PREFORK_NO_MEMORY: 'the datasets do not fit in the memory the service may still use',
  PREFORK_UNSAFE_CONTROL: 'a control socket or its directory belongs to another user or can be written by others',
} as const;

export type PreforkErrorCode = keyof typeof ERROR_CODES;

/** The error type every prefork failure surfaces as. */
export class PreforkError extends Error {
  readonly code: PreforkErrorCode;
  /** The file the error is about, when there is one. */
  readonly file: string | undefined;

  constructor(code: PreforkErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PreforkError';
    this.code = code;
    this.file = options.file;
  }
}

/** True for a PreforkError, also one thrown by another copy of this package in the same process. */
export function isPreforkError(e: unknown): e is PreforkError {
  return e instanceof Error && e.name === 'PreforkError' && typeof (e as { code?: unknown }).code === 'string';
}

/** Throws a dataset error about `file`: one place keeps the "file: field: expected" message shape. */
export function datasetError(code: PreforkErrorCode, file: string, detail: string): PreforkError {
  return new PreforkError(code, `${file}: ${detail}`, { file });
}
