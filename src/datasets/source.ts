// Bounds-checked reads from a dataset's source file, so no loader can read past the end or allocate from a size
// that the file does not back.
import * as fs from 'node:fs';
import { datasetError, PreforkError } from '../errors';
import type { SourceFile } from './plan';

/** Opens `path` for reading; a missing or unreadable file is PREFORK_DATASET_MISSING, an empty one _EMPTY. */
export function openSource(path: string): SourceFile & { fd: number; stat: fs.Stats; close(): void } {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new PreforkError('PREFORK_DATASET_MISSING', `${path}: cannot open dataset file (${err.code ?? err.message})`, {
      file: path,
      cause: e,
    });
  }
  const stat = fs.fstatSync(fd);
  if (!stat.isFile()) {
    fs.closeSync(fd);
    throw new PreforkError('PREFORK_DATASET_MISSING', `${path}: not a regular file`, { file: path });
  }
  if (stat.size === 0) {
    fs.closeSync(fd);
    throw datasetError('PREFORK_DATASET_EMPTY', path, 'file is empty (0 bytes); expected a dataset');
  }
  return { path, fd, stat, size: stat.size, ...readerFor(path, stat.size, (buf, off) => fs.readSync(fd, buf, 0, buf.length, off)), close: () => fs.closeSync(fd) };
}

/** A SourceFile over bytes already in memory (tests, fuzzing). */
export function memorySource(path: string, bytes: Uint8Array): SourceFile {
  return {
    path,
    size: bytes.length,
    ...readerFor(path, bytes.length, (buf, off) => {
      const n = Math.max(0, Math.min(buf.length, bytes.length - off));
      buf.set(bytes.subarray(off, off + n));
      return n;
    }),
  };
}

function readerFor(path: string, size: number, pread: (buf: Buffer, off: number) => number): Pick<SourceFile, 'read'> {
  return {
    read(offset: number, length: number, what: string): Buffer {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
        throw datasetError(
          'PREFORK_DATASET_TRUNCATED',
          path,
          `${what}: needs bytes ${offset}..${offset + length} but the file has ${size} bytes`,
        );
      }
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = pread(done === 0 ? buf : buf.subarray(done), offset + done);
        if (n <= 0) throw datasetError('PREFORK_DATASET_TRUNCATED', path, `${what}: file ended early at byte ${offset + done}`);
        done += n;
      }
      return buf;
    },
  };
}
