// Which Node versions fork mode is safe on (docs/ARCHITECTURE.md, "Node versions"): the majors of the V8 tuning
// table (src/supervisor/v8-tuning.ts), each tested by scripts/node-matrix.sh. Forking needs the zygote's V8 to post
// no task to its platform worker threads: those threads do not exist in a forked child, and signalling the condition
// variable they waited on in the parent never returns (glibc's pthread_cond_signal waits for the waiters of the old
// group). V8 changed exactly that between majors: V8 14 (Node 26) posts a job from every scavenge, even with
// --single-threaded, and needs --minor-ms (its row in the table). So a major the table does not list is not forked:
// the default becomes exec mode, with a warning, and the fork self-check is only the second line of defence.
import { forkTestedMajors } from '../supervisor/v8-tuning';

/** Why fork mode is not safe on this Node, or undefined when it is. */
export function forkUnsafeReason(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  const tested = forkTestedMajors();
  if (tested.includes(major)) return undefined;
  return `fork mode was never tested on Node ${major} (tested: ${tested.join(', ')}), and a new V8 can hang forked workers, as V8 14 did in their first scavenge until --minor-ms`;
}

/**
 * The major the README recommends (its "Node versions": fork mode on V8's default young-generation collector, at a
 * worker_thread's speed on hot loops from the first request); a refusal names it.
 */
export const RECOMMENDED_MAJOR = 24;
