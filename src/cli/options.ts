// The one table of command-line options. yargs builds --help from it, and test/cli/docs.ts checks that the man page
// and the README document every option, command, signal and exit code in it.
import type { Options } from 'yargs';

export interface CommandSpec {
  command: string;
  describe: string;
  options: Record<string, Options>;
}

export const COMMANDS = {
  start: {
    command: 'start <app>',
    describe: 'Load the datasets, start a zygote and fork the workers; run in the foreground',
    options: {
      share: { type: 'string', array: true, default: [], describe: 'Share a dataset: [NAME=]PATH[:dtype[shape]] (repeatable)' },
      bind: { type: 'string', array: true, describe: 'Listen on HOST:PORT or unix:PATH (repeatable; default 127.0.0.1:8000)' },
      workers: { type: 'number', describe: 'Number of workers (default: number of CPUs)' },
      'graceful-timeout': { type: 'number', default: 30, describe: 'Seconds a stopping worker may take before SIGKILL' },
      'boot-timeout': { type: 'number', default: 30, describe: 'Seconds a new worker may take to report ready' },
      'worker-mode': { choices: ['fork', 'exec'], default: 'fork', describe: 'fork workers from a zygote, or exec fresh node processes' },
      preload: { type: 'boolean', default: false, describe: 'Import the app in the zygote before forking' },
      env: { type: 'string', array: true, default: [], describe: 'Set K=V in the workers\' environment (repeatable)' },
      pidfile: { type: 'string', describe: 'Write the supervisor\'s pid to this file' },
    },
  },
  inspect: {
    command: 'inspect <files..>',
    describe: 'Load dataset files as --share would and print each array\'s dtype, shape, sum and sha256',
    options: {
      json: { type: 'boolean', default: false, describe: 'Print JSON instead of text' },
    },
  },
} as const satisfies Record<string, CommandSpec>;
