// Exit codes are a protocol (gunicorn, sysexits, tini): each is documented in man/prefork.1 and the README, and a
// test checks the three agree.
import type { PreforkErrorCode } from './errors';

export const EXIT = {
  OK: { code: 0, meaning: 'success; after a stop, every worker exited' },
  FAILURE: { code: 1, meaning: 'an unexpected internal error' },
  APP_BOOT: { code: 3, meaning: 'the app failed to boot in every worker: the supervisor halts instead of crash-looping' },
  USAGE: { code: 64, meaning: 'bad command line: unknown command, bad option value' },
  DATAERR: { code: 65, meaning: 'a dataset file is malformed (truncated, bad header, bad dtype or shape)' },
  NOINPUT: { code: 66, meaning: 'a dataset or app file does not exist or cannot be read' },
  UNAVAILABLE: { code: 69, meaning: 'no running supervisor answers (reload, status, stop)' },
  SOFTWARE: { code: 70, meaning: 'a system call prefork needs failed (memfd, fork, socket), or fork mode cannot run on this Node (a major it was not tested on, or a failed fork self-check with --worker-mode fork or --preload)' },
  NOMEM: { code: 71, meaning: 'the datasets do not fit in the memory the service may use (memory cgroup limit or MemAvailable)' },
  NOPERM: { code: 77, meaning: 'a control socket or its directory is not safe to use (another user\'s, writable by others, a symlink)' },
  TEMPFAIL: { code: 75, meaning: 'a reload or an upgrade failed; the old generation keeps serving' },
} as const;

export type ExitName = keyof typeof EXIT;

/**
 * Exit codes a restart cannot fix (the app, an option, a dataset or the memory allowed must change first): the
 * systemd unit's RestartPreventExitStatus= lists exactly these (test/systemd/units.ts checks it).
 */
export const PERMANENT_EXITS: readonly ExitName[] = ['APP_BOOT', 'USAGE', 'DATAERR', 'NOINPUT', 'NOMEM', 'NOPERM'];

/** The exit code for a PreforkError code. */
export function exitCodeFor(code: PreforkErrorCode): number {
  switch (code) {
    case 'PREFORK_DATASET_MISSING':
    case 'PREFORK_APP_MISSING':
      return EXIT.NOINPUT.code;
    case 'PREFORK_BAD_SPEC':
    case 'PREFORK_BAD_OPTION':
      return EXIT.USAGE.code;
    case 'PREFORK_NOT_RUNNING':
      return EXIT.UNAVAILABLE.code;
    case 'PREFORK_NATIVE':
    case 'PREFORK_UNSUPPORTED_RUNTIME':
      return EXIT.SOFTWARE.code;
    case 'PREFORK_UNSAFE_CONTROL':
      return EXIT.NOPERM.code;
    case 'PREFORK_NO_MEMORY':
      return EXIT.NOMEM.code;
    case 'PREFORK_NO_DATASET':
      return EXIT.FAILURE.code;
    default:
      return code.startsWith('PREFORK_DATASET_') ? EXIT.DATAERR.code : EXIT.FAILURE.code;
  }
}
