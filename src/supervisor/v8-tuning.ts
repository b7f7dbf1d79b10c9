// V8 flags per Node major for the zygote, and what forked workers reach on hot loops (docs/ARCHITECTURE.md, "Hot
// loops in forked workers"). A forked worker runs `--single-threaded` like its zygote: every optimizing compile is
// synchronous, and V8 has no background thread to finish better code while a loop runs. A handler that scans a
// module-level typed array once per request (`const v = dataset('big').array()`; `for (…) s += v[i]`) spends its
// first call, and sometimes every call, in on-stack-replacement (OSR) code, and how fast that code is depends on
// the version. bench/hot-loop.js measures it (64M float64 elements, 1 worker, the first 8 scans):
//
//   Node 20 (V8 11.3): the synchronous Turbofan OSR code is cached and entered at the loop head on every call, so
//     the interpreter never reaches another budget check and the function is never optimized whole; that OSR code
//     reloads the closure's array on every iteration: 3-5x the optimized function, on every request (6 runs of 6).
//     No flag fixes it (tried: --interrupt-budget, --ticks-before-optimization, --bytecode-size-allowance-per-tick,
//     --always-osr, --invocation-count-for-osr, --always-sparkplug, --no-lazy-feedback-allocation, --maglev;
//     --no-use-osr is at full speed from the third call but runs the first two interpreted, 25x at 16M elements).
//     A full GC between requests drops the cached OSR code and lets the function tier up (not done: see the doc).
//     Unforked processes race a concurrent compile: exec workers were at full speed from the third request in 5
//     runs of 6, plain node in 4, a worker_thread in 5; the first two scans are 3-5x everywhere on V8 11.
//   Node 22 (V8 12.4): within 1.1x of a worker_thread from the first request, without flags.
//   Node 24 (V8 13.6): OSR goes to Maglev first; Maglev's loop over an external ArrayBuffer (a dataset mapping,
//     also in a plain `node --single-threaded`) is about 6x slower, and the Turbofan OSR that would replace it is
//     never compiled synchronously during the call: the first two requests took 6-7x the warm time. With
//     --no-maglev-osr OSR goes straight to Turbofan, whose OSR code runs within a few per cent of the optimized
//     function: first request 1.0-1.2x of warm. Maglev still compiles whole functions.
//   Node 26 (V8 14.6): not hot loops but forking itself. The scavenger posts its parallel job to the platform's
//     worker threads before it visits the roots (PostJob, where V8 13.6 only joined one, which never posts when the
//     job's concurrency is 1, as it is under --single-threaded); a forked child has none of those threads and hung
//     in its first scavenge (docs/ARCHITECTURE.md, "Node versions"). --minor-ms replaces the scavenger with V8's
//     minor mark-sweep collector, which only joins its jobs: 0 hangs in 70 forks, none posted under gdb (and 0 in
//     5 runs of test/runtime/fork-stress.ts's 500). For hot loops it is Node 24 again: Maglev's OSR loop over an
//     external ArrayBuffer is slow, the first two natural scans took 1.8-1.9x the warm one without --no-maglev-osr,
//     1.03-1.16x with it (bench/hot-loop.js, 4 runs each).
// A major with no row is one prefork's fork mode was never tested on: src/cli/node-support.ts refuses to fork it.
//
// The flags go on the zygote's command line (src/supervisor/generation.ts startZygote), before any JavaScript runs,
// so the fork self-check, a --preload import and every forked worker see them. Exec workers get none: measured at
// the same speed as plain node without.

/** One Node major's row. */
export interface V8Tuning {
  /** V8 flags forking needs on this major: always on the zygote's command line, after --single-threaded. */
  readonly forkFlags?: readonly string[];
  /** V8 flags for speed (hot loops), after forkFlags; NO_V8_TUNING_ENV leaves them out. */
  readonly speedFlags?: readonly string[];
  /** Why forked workers cannot reach an unforked node's speed on hot loops on this major, or undefined. */
  readonly forkSlow?: string;
}

/**
 * Per Node major: the majors fork mode was tested on (scripts/node-matrix.sh runs the fork stress test and the
 * integration suites on each). State, not code: change a row when a new measurement says so.
 */
export const V8_TUNING: Readonly<Record<number, V8Tuning>> = {
  20: {
    forkSlow:
      "forked workers run a hot loop over a module-level array in V8 11's synchronous OSR code on every request, " +
      '3-5x slower than an unforked node, and no V8 flag fixes it; --worker-mode exec (full speed from the third ' +
      'request in most runs) or Node 22+ avoid it (docs/ARCHITECTURE.md, "Hot loops in forked workers")',
  },
  22: {},
  24: { speedFlags: ['--no-maglev-osr'] },
  26: { forkFlags: ['--minor-ms'], speedFlags: ['--no-maglev-osr'] },
};

/** Set to 1 in the supervisor's environment, the zygote gets no speed flags (for bench/hot-loop.js's comparison). */
export const NO_V8_TUNING_ENV = '_PREFORK_NO_V8_TUNING';

/** What a zygote of one Node version runs with. */
export interface ZygoteTuning {
  /** Every V8 flag for the zygote's command line after --single-threaded (the fork flags, then the speed flags). */
  readonly zygoteFlags: readonly string[];
  /** The speed flags alone, as the table has them (whether or not NO_V8_TUNING_ENV left them out). */
  readonly speedFlags: readonly string[];
  readonly forkSlow?: string;
}

/** The tuning for a Node version (default: this process's); a major with no row gets no flags. */
export function v8Tuning(version: string = process.versions.node, env: NodeJS.ProcessEnv = process.env): ZygoteTuning {
  const row = V8_TUNING[Number(version.split('.')[0])] ?? {};
  const speedFlags = row.speedFlags ?? [];
  const zygoteFlags = [...(row.forkFlags ?? []), ...(env[NO_V8_TUNING_ENV] === '1' ? [] : speedFlags)];
  return row.forkSlow === undefined ? { zygoteFlags, speedFlags } : { zygoteFlags, speedFlags, forkSlow: row.forkSlow };
}

/** The Node majors fork mode was tested on, oldest first. */
export function forkTestedMajors(): number[] {
  return Object.keys(V8_TUNING).map(Number).sort((a, b) => a - b);
}
