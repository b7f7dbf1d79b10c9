// V8's gc(), for the runtime's two deliberate collections (the zygote's shrink before it forks, the self-check
// canary's scavenges), without --expose-gc on the command line: the flag is set just long enough to fetch it, so the
// app never sees a global gc.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

export type GcOptions = { type?: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' };

export function v8Gc(): (options: GcOptions) => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (options: GcOptions) => void;
  v8.setFlagsFromString('--no-expose-gc');
  return gc;
}
