// The signals the supervisor handles and what each does: the arbiter installs handlers for exactly these, and the
// README and man page document the same table (test/cli/docs.ts checks it).
export const SIGNALS = {
  SIGTERM: 'graceful stop: workers stop accepting, finish in-flight requests, exit within --graceful-timeout (then SIGKILL)',
  SIGINT: 'graceful stop, as SIGTERM (^C in a terminal)',
  SIGQUIT: 'immediate stop: every worker and zygote gets SIGKILL',
  SIGHUP: 'reload: load the datasets and app code into a new generation, then drain the old one',
  SIGTTIN: 'one more worker (as `prefork scale +1`)',
  SIGTTOU: 'one worker fewer, the newest draining gracefully (as `prefork scale -1`); never below 1',
  SIGUSR1: 'reopen --log-file (after logrotate moved it)',
  SIGUSR2: 'upgrade: start a new supervisor from the same command line on the same sockets and datasets; once it serves, this one drains and exits (as `prefork upgrade`)',
} as const satisfies Partial<Record<NodeJS.Signals, string>>;

export type HandledSignal = keyof typeof SIGNALS;
export const HANDLED_SIGNALS = Object.keys(SIGNALS) as HandledSignal[];
