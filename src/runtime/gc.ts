// The runtime's deliberate collections: V8's gc() (the self-check canary's scavenges, and the zygote's shrink where
// the shim's lowMemory is not available), fetched without --expose-gc on the command line (the flag is set just long
// enough to fetch it, so the app never sees a global gc), and the shrink before a zygote forks.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { native } from '../native';

export type GcOptions = { type?: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' };

export function v8Gc(): (options: GcOptions) => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (options: GcOptions) => void;
  v8.setFlagsFromString('--no-expose-gc');
  return gc;
}

/**
 * Right before the zygote's command loop (and the fork stress test's forks), leaves the process as small as it can
 * be, since every forked child shares all of it (each is charged its share of every page, as Pss). V8's low-memory
 * collection (`lowMemory` in the shim, the C++ API's LowMemoryNotification): full GCs with the memory-reducing flag,
 * which empty the young generation, give its unused semi-space and V8's pooled pages back to the kernel and compact
 * the old generation. It is the only way to get that collection on V8 11 (Node 20), whose gc() knows no
 * 'last-resort' flavour and whose plain full GC grows the heap; where the shim cannot find the entry point, V8 >= 12's
 * gc() flavour does the same. Then malloc_trim gives malloc's free pages back.
 */
export function shrinkBeforeFork(): void {
  const shim = native();
  if (!shim.lowMemory() && Number(process.versions.v8.split('.')[0]) >= 12) {
    v8Gc()({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  }
  shim.trimMalloc();
}
