// Which Node versions fork mode is safe on (docs/ARCHITECTURE.md, "Node versions"). Forking needs the zygote's V8 to
// post no task to its platform worker threads: those threads do not exist in a forked child, and signalling the
// condition variable they waited on in the parent never returns (glibc's pthread_cond_signal waits for the waiters of
// the old group). `--single-threaded` keeps V8 12 and 13 (Node 20 to 24) from posting; V8 14 (Node 26) posts a job
// from every scavenge regardless (seen with gdb in a hung child of test/runtime/fork-stress.ts: ScavengerCollector::
// CollectGarbage → DefaultJobState::NotifyConcurrencyIncrease → WorkerThreadsTaskRunner::PostTask → uv_cond_signal,
// stuck in __condvar_quiesce_and_switch_g1), and neither --no-parallel-scavenge nor --v8-pool-size helps.

/** The first major version whose forked workers can hang in their first scavenge. */
export const FORK_UNSAFE_FROM = 26;

/** Why fork mode is not safe on this Node, or undefined when it is. */
export function forkUnsafeReason(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major < FORK_UNSAFE_FROM) return undefined;
  return `Node ${version} posts garbage-collection tasks to V8's worker threads even with --single-threaded, and a forked worker, which has none of them, hangs in its first scavenge`;
}
