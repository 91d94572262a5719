// CPU time from Linux /proc/<pid>/stat (clock ticks of 10 ms), for benches that measure other processes.

import { readFileSync } from 'node:fs';

/**
 * User+system CPU seconds process `pid` has used so far; with `children`, those of its children that
 * it has waited for instead. NaN when the process is gone or there is no /proc.
 */
export function processCpuSeconds(pid, { children = false } = {}) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    const [user, system] = children ? [fields[13], fields[14]] : [fields[11], fields[12]];
    return (Number(user) + Number(system)) / 100;
  } catch {
    return NaN;
  }
}
