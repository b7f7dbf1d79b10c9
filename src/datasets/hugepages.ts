// Decides once per process whether dataset memfds are filled through MADV_HUGEPAGE mappings (docs/ARCHITECTURE.md, "Dataset memory"): with
// shared-memory THP allowed, a worker maps 1.5 GB with ~700 PMD entries instead of ~370k page-table entries. Workers
// pre-fault their mappings before ready either way (with huge pages that takes about 10 ms per 1.5 GB).
import * as fs from 'node:fs';

const SETTING = '/sys/kernel/mm/transparent_hugepage/shmem_enabled';

export interface HugePagePolicy {
  /** Fill memfds through MADV_HUGEPAGE mappings. */
  huge: boolean;
  /** The kernel's selected shmem_enabled value, or 'unavailable'. */
  setting: string;
  /** One log line saying what was chosen and how an operator gets the faster path. */
  advice: string;
}

let cached: HugePagePolicy | undefined;

export function hugePagePolicy(): HugePagePolicy {
  if (cached) return cached;
  let setting = 'unavailable';
  try {
    setting = /\[(\w+)\]/.exec(fs.readFileSync(SETTING, 'utf8'))?.[1] ?? 'unavailable';
  } catch {
    // no THP support in this kernel
  }
  const huge = ['advise', 'always', 'within_size', 'force'].includes(setting);
  const advice = huge
    ? `datasets use shared-memory huge pages (${SETTING} = ${setting}); workers pre-fault them before ready`
    : `datasets use 4 KiB pages (${SETTING} = ${setting}); workers pre-fault them before ready. ` +
      `For fewer page faults run: echo advise > ${SETTING}`;
  cached = { huge, setting, advice };
  return cached;
}
