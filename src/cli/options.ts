// The one table of command-line options. yargs builds --help from it, and test/cli/docs.ts checks that the man page
// and the README document every option, command, signal and exit code in it.
import type { Options } from 'yargs';

export interface CommandSpec {
  command: string;
  describe: string;
  options: Record<string, Options>;
}

/** Options shared by the commands that talk to a running supervisor. */
const CONTROL_OPTIONS = {
  control: { type: 'string', describe: 'Control socket of the supervisor (as given to start)' },
  name: { type: 'string', describe: 'Name of the supervisor (as given to start): its control socket is NAME.sock in the default directory' },
  pidfile: { type: 'string', describe: 'Signal the pid in this file instead of using the control socket' },
  timeout: { type: 'number', default: 120, describe: 'Seconds to wait for the supervisor\'s answer' },
} as const satisfies Record<string, Options>;

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
      'max-requests': { type: 'number', default: 0, describe: 'Recycle a worker after this many requests (0: never); its replacement is ready before it drains' },
      'max-requests-jitter': { type: 'number', default: 0, describe: 'Add 0 to this many requests to each worker\'s --max-requests, so they do not all recycle at once' },
      'max-memory': { type: 'string', describe: 'Recycle a worker whose private memory (Pss_Anon, not RSS: shared datasets do not count) exceeds SIZE (e.g. 512M, 1G)' },
      'max-age': { type: 'number', default: 0, describe: 'Recycle a worker after it has served this many seconds (0: never)' },
      timeout: { type: 'number', default: 30, describe: 'Seconds (at least 1) a ready worker may go without a heartbeat (its event loop stuck) before it is killed and replaced' },
      'worker-mode': { choices: ['fork', 'exec'], describe: 'fork workers from a zygote, or exec fresh node processes (default: fork; exec on a Node major fork mode was not tested on)' },
      'reload-strategy': {
        choices: ['overlap', 'replace'],
        default: 'overlap',
        describe: 'overlap: load the new generation beside the serving one (needs both in memory); replace: release the serving one first (capacity drops during the swap)',
      },
      preload: { type: 'boolean', default: false, describe: 'Import the app in the zygote before forking' },
      env: { type: 'string', array: true, default: [], describe: 'Set K=V in the workers\' environment (repeatable)' },
      pidfile: { type: 'string', describe: 'Write the supervisor\'s pid to this file' },
      watch: { type: 'boolean', default: false, describe: 'Reload when a --share file changes' },
      'watch-app': { type: 'boolean', default: false, describe: 'Reload when the app\'s code changes' },
      'metrics-bind': { type: 'string', describe: 'Serve Prometheus metrics (scoreboard, restarts by cause, reloads, dataset bytes) at http://HOST:PORT/metrics from the supervisor' },
      name: { type: 'string', describe: 'Name shown in process titles and used for the control socket (default: the app\'s package or file name)' },
      control: { type: 'string', describe: 'Control socket path (default: NAME.sock in $RUNTIME_DIRECTORY, $XDG_RUNTIME_DIR/prefork, /run/prefork for root, or a 0700 directory of the user\'s own in the temp dir)' },
      user: { type: 'string', describe: 'Run the zygotes and workers as this user (name or uid); the supervisor, started as root, binds the sockets and loads the datasets first and keeps its uid' },
      group: { type: 'string', describe: 'Run the zygotes and workers in this group (name or gid; default: the --user\'s group); supplementary groups are dropped' },
      umask: { type: 'string', describe: 'Set the file mode creation mask (octal, e.g. 027) before anything is created' },
      chdir: { type: 'string', describe: 'Change to this directory before the app and the --share paths are resolved' },
      'log-format': { choices: ['text', 'json'], default: 'text', describe: 'The supervisor\'s log lines: text, or one JSON object per line (time, level, name, pid, message)' },
      'log-file': { type: 'string', describe: 'Append the supervisor\'s log to FILE instead of stderr; reopened on SIGUSR1 (logrotate)' },
    },
  },
  reload: {
    command: 'reload',
    describe: 'Swap in a new generation (datasets + app code); wait until it serves or fails',
    options: CONTROL_OPTIONS,
  },
  stop: {
    command: 'stop',
    describe: 'Stop the supervisor gracefully (as SIGTERM)',
    options: CONTROL_OPTIONS,
  },
  scale: {
    command: 'scale <count>',
    describe: 'Set the number of workers to N, or add (+K) or remove (-K) some; wait until the serving generation has them',
    options: CONTROL_OPTIONS,
  },
  upgrade: {
    command: 'upgrade',
    describe: 'Start a new supervisor from the same command line (new code on disk) that takes over the sockets and datasets; wait until it serves',
    options: CONTROL_OPTIONS,
  },
  status: {
    command: 'status',
    describe: 'Print the supervisor\'s generations and workers',
    options: {
      ...CONTROL_OPTIONS,
      json: { type: 'boolean', default: false, describe: 'Print JSON instead of text' },
      watch: { type: 'boolean', default: false, describe: 'Print it every second until interrupted: redrawn in place on a terminal, one snapshot after another otherwise (with --json, a line each)' },
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
