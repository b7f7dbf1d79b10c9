// A generation's life as an explicit state × event → action table (STYLE.md 1, after s6-supervise's
// actions[state][event]). The arbiter looks up every event here and performs the named action; nothing else writes a
// generation's state. The table is total: each cell is a [next state, action] pair or `null`, an event that cannot
// happen in that state (the arbiter logs it as an internal error and changes nothing).
//
//   queued ─begin→ loading ─loaded→ starting ─zygote-ready→ booting ─all-ready→ active ─retire→ draining ─drained→ gone
//              load-failed, boot-failed, zygote-exit (before active) → failed ─drained→ gone
//              active ─zygote-exit→ stranded (serves, cannot fork; a new generation is started to replace it)
//              stop/quit while loading → cancelled ─loaded|load-failed→ gone (the late datasets are closed)

export const GENERATION_STATES = ['queued', 'loading', 'starting', 'booting', 'active', 'stranded', 'draining', 'cancelled', 'failed', 'gone'] as const;
export type GenerationState = (typeof GENERATION_STATES)[number];

export const GENERATION_EVENTS = [
  'begin', // nothing else is loading or booting: a queued reload may start
  'loaded', // its datasets are in sealed memfds
  'load-failed', // a dataset could not be loaded
  'zygote-ready', // the zygote imported the runtime (exec mode: at once, there is no zygote)
  'all-ready', // as many workers as wanted have reported ready
  'boot-failed', // the zygote failed, timed out, or too many workers failed to boot
  'zygote-exit', // the zygote exited without being asked to
  'retire', // a newer generation is serving
  'stop', // graceful stop of the supervisor
  'quit', // immediate stop of the supervisor
  'drained', // no worker and no zygote of it is left
] as const;
export type GenerationEvent = (typeof GENERATION_EVENTS)[number];

export const GENERATION_ACTIONS = [
  'load', // start loading the datasets
  'start', // open the event pipe, start the zygote (or, in exec mode, go straight on), add the workers
  'request-workers', // ask the zygote for every worker waiting for it
  'promote', // settle the reload, retire the generation that served before
  'fail', // settle the reload with the error, kill what it started, then keep serving or halt
  'replace', // its workers keep serving; start a new generation that can fork
  'drain', // close the zygote's pipe, SIGTERM the workers (graceful timeout, then SIGKILL)
  'kill', // SIGKILL the zygote's process group and every worker
  'cancel', // abandon the dataset load and settle its waiters: the supervisor is stopping
  'discard', // close the datasets that finished loading after all
  'release', // close its memfds and event pipe; forget it
  'ignore', // nothing to do: the event is expected but changes nothing
] as const;
export type GenerationAction = (typeof GENERATION_ACTIONS)[number];

type Cell = readonly [GenerationState, GenerationAction] | null;
type Row = Readonly<Record<GenerationEvent, Cell>>;

const stay = (s: GenerationState): Cell => [s, 'ignore'];

/** Every state's answer to every event. */
export const GENERATION_TABLE: Readonly<Record<GenerationState, Row>> = {
  queued: {
    // load-failed: it cannot fit even after the serving generation is released (--reload-strategy replace)
    begin: ['loading', 'load'], loaded: null, 'load-failed': ['failed', 'fail'], 'zygote-ready': null, 'all-ready': null,
    'boot-failed': null, 'zygote-exit': null, retire: null, stop: ['gone', 'cancel'], quit: ['gone', 'cancel'], drained: null,
  },
  loading: {
    begin: null, loaded: ['starting', 'start'], 'load-failed': ['failed', 'fail'], 'zygote-ready': null, 'all-ready': null,
    'boot-failed': null, 'zygote-exit': null, retire: null, stop: ['cancelled', 'cancel'], quit: ['cancelled', 'cancel'], drained: null,
  },
  starting: {
    begin: null, loaded: null, 'load-failed': null, 'zygote-ready': ['booting', 'request-workers'], 'all-ready': null,
    'boot-failed': ['failed', 'fail'], 'zygote-exit': ['failed', 'fail'], retire: null, stop: ['draining', 'kill'], quit: ['draining', 'kill'], drained: null,
  },
  booting: {
    begin: null, loaded: null, 'load-failed': null, 'zygote-ready': null, 'all-ready': ['active', 'promote'],
    'boot-failed': ['failed', 'fail'], 'zygote-exit': ['failed', 'fail'], retire: null, stop: ['draining', 'drain'], quit: ['draining', 'kill'], drained: null,
  },
  active: {
    begin: null, loaded: null, 'load-failed': null, 'zygote-ready': null, 'all-ready': stay('active'),
    // a generation that serves keeps replacing the workers it loses (with backoff) instead of giving up
    'boot-failed': stay('active'), 'zygote-exit': ['stranded', 'replace'], retire: ['draining', 'drain'], stop: ['draining', 'drain'], quit: ['draining', 'kill'], drained: null,
  },
  stranded: {
    begin: null, loaded: null, 'load-failed': null, 'zygote-ready': null, 'all-ready': stay('stranded'),
    'boot-failed': stay('stranded'), 'zygote-exit': null, retire: ['draining', 'drain'], stop: ['draining', 'drain'], quit: ['draining', 'kill'], drained: null,
  },
  draining: {
    begin: null, loaded: null, 'load-failed': null, 'zygote-ready': stay('draining'), 'all-ready': stay('draining'),
    'boot-failed': stay('draining'), 'zygote-exit': stay('draining'), retire: null, stop: stay('draining'), quit: ['draining', 'kill'], drained: ['gone', 'release'],
  },
  cancelled: {
    begin: null, loaded: ['gone', 'discard'], 'load-failed': ['gone', 'ignore'], 'zygote-ready': null, 'all-ready': null,
    'boot-failed': null, 'zygote-exit': null, retire: null, stop: stay('cancelled'), quit: stay('cancelled'), drained: null,
  },
  failed: {
    begin: null, loaded: null, 'load-failed': null, 'zygote-ready': stay('failed'), 'all-ready': stay('failed'),
    'boot-failed': stay('failed'), 'zygote-exit': stay('failed'), retire: null, stop: stay('failed'), quit: stay('failed'), drained: ['gone', 'release'],
  },
  gone: {
    begin: null, loaded: null, 'load-failed': null, 'zygote-ready': stay('gone'), 'all-ready': null,
    'boot-failed': null, 'zygote-exit': stay('gone'), retire: null, stop: stay('gone'), quit: stay('gone'), drained: null,
  },
};

/** States in which a generation's workers are kept at the wanted count and may be forked. */
export const FORKING: ReadonlySet<GenerationState> = new Set(['booting', 'active']);
/** States in which a generation's workers serve clients. */
export const SERVING: ReadonlySet<GenerationState> = new Set(['active', 'stranded']);
/** States of the one generation on its way in (at most one at a time). */
export const INCOMING: ReadonlySet<GenerationState> = new Set(['loading', 'starting', 'booting']);
/** States that wait for their last worker and zygote to exit, then release. */
export const WINDING_DOWN: ReadonlySet<GenerationState> = new Set(['draining', 'failed']);

/**
 * The next state and the action for `event` in `state`, or undefined for an event that cannot happen there.
 */
export function generationTransition(state: GenerationState, event: GenerationEvent): { next: GenerationState; action: GenerationAction } | undefined {
  const cell = GENERATION_TABLE[state][event];
  return cell === null ? undefined : { next: cell[0], action: cell[1] };
}
