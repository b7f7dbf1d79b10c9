// A worker's life as an explicit state machine (STYLE.md 1): the supervisor looks up (state, event) here and does
// the named action; an event a state does not list is ignored.

export type WorkerState = 'requested' | 'booting' | 'ready' | 'stopping' | 'dead';
export type WorkerEvent = 'forked' | 'ready' | 'stop' | 'quit' | 'boot-timeout' | 'hung' | 'hung-abort' | 'hung-kill' | 'kill-timeout' | 'exit';
export type WorkerAction = 'watch' | 'mark-ready' | 'terminate' | 'abort' | 'kill' | 'reaped' | 'none';

export const TRANSITIONS: Readonly<Record<WorkerState, Partial<Record<WorkerEvent, readonly [WorkerState, WorkerAction]>>>> = {
  requested: { forked: ['booting', 'watch'], 'boot-timeout': ['dead', 'reaped'], stop: ['dead', 'reaped'], quit: ['dead', 'reaped'] },
  booting: {
    ready: ['ready', 'mark-ready'],
    stop: ['stopping', 'terminate'],
    quit: ['stopping', 'kill'],
    'boot-timeout': ['stopping', 'kill'],
    exit: ['dead', 'reaped'],
  },
  ready: { stop: ['stopping', 'terminate'], quit: ['stopping', 'kill'], hung: ['stopping', 'terminate'], exit: ['dead', 'reaped'] },
  stopping: {
    quit: ['stopping', 'kill'],
    'hung-abort': ['stopping', 'abort'],
    'hung-kill': ['stopping', 'kill'],
    'kill-timeout': ['stopping', 'kill'],
    exit: ['dead', 'reaped'],
  },
  dead: {},
};

export interface Worker {
  generation: number;
  slot: number;
  pid: number;
  state: WorkerState;
  /** performance.now() when the fork was requested, ready, or asked to stop. */
  requestedAt: number;
  readyAt: number;
  stopAt: number;
  /** Did it ever report ready? */
  wasReady: boolean;
  /** Has it closed its listening sockets (draining)? */
  closed: boolean;
  /** Its slot on the scoreboard. */
  board: number;
  /** When its heartbeat was found too old (0: never), and how many signals the escalation has sent since. */
  hungAt: number;
  escalation: number;
  /** Requests after which it is recycled (--max-requests plus its jitter), or 0. */
  maxRequests: number;
  /** Why it is being recycled ('' while it is not): its replacement starts first, then it drains. */
  recycle: string;
  /** performance.now() of its last --max-memory look. */
  memoryCheckedAt: number;
}

/** The next state and the action for `event`, or undefined when the state ignores it. */
export function transition(w: Worker, event: WorkerEvent): WorkerAction | undefined {
  const t = TRANSITIONS[w.state][event];
  if (!t) return undefined;
  w.state = t[0];
  return t[1];
}

/** How a process ended, in words: `signal 9` or `code 1`. */
export const exitHow = (code: number, sig: number) => (sig ? `signal ${sig}` : `code ${code}`);
