// The generation table (src/supervisor/generation-state.ts) is total and sound: every state answers every event with
// an action or refuses it, every state is reachable, the supervisor can always stop, and nothing is stranded on the
// way out. The life paths the arbiter relies on are walked event by event.
import t from 'tap';
import {
  GENERATION_ACTIONS,
  GENERATION_EVENTS,
  GENERATION_STATES,
  GENERATION_TABLE,
  generationTransition,
  type GenerationEvent,
  type GenerationState,
} from '../../src/supervisor/generation-state';

const refused = (s: GenerationState, e: GenerationEvent) => generationTransition(s, e) === undefined;

/** Walks `events` from `state`; throws on a refused event. */
function walk(state: GenerationState, events: GenerationEvent[]): { state: GenerationState; actions: string[] } {
  const actions: string[] = [];
  for (const e of events) {
    const next = generationTransition(state, e);
    if (!next) throw new Error(`'${e}' refused in ${state}`);
    state = next.next;
    actions.push(next.action);
  }
  return { state, actions };
}

t.test('every state × event pair has an action or is refused, and nothing else', async t => {
  t.same(Object.keys(GENERATION_TABLE).sort(), [...GENERATION_STATES].sort(), 'one row per state');
  for (const s of GENERATION_STATES) {
    t.same(Object.keys(GENERATION_TABLE[s]).sort(), [...GENERATION_EVENTS].sort(), `${s}: one cell per event`);
    for (const e of GENERATION_EVENTS) {
      const cell = GENERATION_TABLE[s][e];
      if (cell === null) {
        t.ok(refused(s, e), `${s} × ${e}: refused`);
        continue;
      }
      t.ok((GENERATION_STATES as readonly string[]).includes(cell[0]), `${s} × ${e}: next state ${cell[0]} exists`);
      t.ok((GENERATION_ACTIONS as readonly string[]).includes(cell[1]), `${s} × ${e}: action ${cell[1]} exists`);
      t.same(generationTransition(s, e), { next: cell[0], action: cell[1] }, `${s} × ${e}: the lookup returns the cell`);
    }
  }
  const used = new Set(GENERATION_STATES.flatMap(s => GENERATION_EVENTS.map(e => GENERATION_TABLE[s][e]?.[1])));
  t.same(GENERATION_ACTIONS.filter(a => !used.has(a)), [], 'every action is used by some cell');
});

t.test('every state is reachable from queued, and gone from every state', async t => {
  const reach = (from: GenerationState) => {
    const seen = new Set<GenerationState>([from]);
    for (const s of seen) {
      for (const e of GENERATION_EVENTS) {
        const n = generationTransition(s, e);
        if (n) seen.add(n.next);
      }
    }
    return seen;
  };
  t.same([...reach('queued')].sort(), [...GENERATION_STATES].sort(), 'all states reachable');
  for (const s of GENERATION_STATES) t.ok(reach(s).has('gone'), `${s}: gone is reachable`);
  t.ok(GENERATION_EVENTS.every(e => (generationTransition('gone', e)?.next ?? 'gone') === 'gone'), 'gone is terminal');
});

t.test('the supervisor can always stop, and a zygote may exit at any time once started', async t => {
  for (const s of GENERATION_STATES) {
    t.notOk(refused(s, 'stop'), `${s} answers stop`);
    t.notOk(refused(s, 'quit'), `${s} answers quit`);
  }
  for (const s of ['starting', 'booting', 'active', 'draining', 'failed', 'gone'] as const) t.notOk(refused(s, 'zygote-exit'), `${s} answers zygote-exit`);
  // after a stop or quit, what can still arrive leads to gone
  const out: Record<string, GenerationEvent[]> = { gone: [], cancelled: ['loaded'], draining: ['drained'], failed: ['drained'] };
  for (const s of GENERATION_STATES) {
    for (const how of ['stop', 'quit'] as const) {
      const after = walk(s, [how]).state;
      t.ok(after in out, `${s} --${how}→ ${after}, a state on the way out`);
      t.equal(walk(after, out[after] ?? []).state, 'gone', `${s} --${how}→ ${after} ends gone`);
    }
  }
  t.equal(walk('loading', ['stop', 'load-failed']).state, 'gone', 'a cancelled load that fails ends gone too');
  t.same(walk('loading', ['quit', 'loaded']).actions, ['cancel', 'discard'], 'datasets that arrive after a stop are discarded');
});

t.test('life paths', async t => {
  t.same(walk('queued', ['begin', 'loaded', 'zygote-ready', 'all-ready', 'retire', 'drained']), {
    state: 'gone',
    actions: ['load', 'start', 'request-workers', 'promote', 'drain', 'release'],
  }, 'a generation serves, is retired by the next one, drains and is released');
  t.same(walk('queued', ['begin', 'load-failed', 'drained']).actions, ['load', 'fail', 'release'], 'a bad dataset fails the generation');
  for (const s of ['starting', 'booting'] as const) {
    t.same(generationTransition(s, 'boot-failed'), { next: 'failed', action: 'fail' }, `${s}: a boot failure fails it`);
    t.same(generationTransition(s, 'zygote-exit'), { next: 'failed', action: 'fail' }, `${s}: a dead zygote fails it`);
  }
  t.same(generationTransition('active', 'boot-failed'), { next: 'active', action: 'ignore' }, 'a serving generation keeps replacing workers');
  t.same(walk('active', ['zygote-exit', 'all-ready', 'retire', 'drained']).actions, ['replace', 'ignore', 'drain', 'release'],
    'a serving generation whose zygote died keeps serving until its replacement retires it');
  t.ok(refused('stranded', 'zygote-exit'), 'a stranded generation has no zygote left to exit');
  t.same(generationTransition('starting', 'stop'), { next: 'draining', action: 'kill' }, 'a zygote still importing is killed, not asked');
  t.same(generationTransition('booting', 'stop'), { next: 'draining', action: 'drain' }, 'booting workers are stopped gracefully');
  t.same(generationTransition('queued', 'stop'), { next: 'gone', action: 'cancel' }, 'a queued reload is cancelled');
  t.ok(refused('queued', 'loaded') && refused('active', 'loaded') && refused('booting', 'begin'), 'out-of-order events are refused');
});
