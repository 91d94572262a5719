import { diskInvalid } from './disk-error.js';
import type { GptPartition } from './gpt-types.js';

/**
 * Throws unless every partition lies inside the usable LBA range and none overlap.
 * `where(p)` says where a partition came from, e.g. "partition 2 entry at byte 1152".
 */
export function checkPartitions(
  partitions: readonly GptPartition[],
  usable: { first: number; last: number },
  source: string,
  where: (p: GptPartition) => string,
): void {
  const describe = (p: GptPartition): string =>
    `${where(p)} (${JSON.stringify(p.name)}, LBA ${p.firstLba}..${p.lastLba})`;
  for (const p of partitions) {
    if (p.firstLba > p.lastLba || p.firstLba < usable.first || p.lastLba > usable.last) {
      throw diskInvalid(source, `${describe(p)} lies outside the usable range LBA ${usable.first}..${usable.last}`);
    }
  }
  const sorted = [...partitions].sort((a, b) => a.firstLba - b.firstLba);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const next = sorted[i];
    if (prev !== undefined && next !== undefined && next.firstLba <= prev.lastLba) {
      throw diskInvalid(source, `${describe(prev)} and ${describe(next)} overlap`);
    }
  }
}
