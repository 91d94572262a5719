import { VfleetError } from '../errors.js';
import { SECTOR_SIZE, usableRange, type GptTable } from './gpt-types.js';
import { defaultGuidSource, LINUX_FILESYSTEM_GUID, normalizeGuid, type GuidSource } from './guid.js';

const MiB = 1024 * 1024;
export const DEFAULT_DISK_SIZE = 256 * MiB;
export const MIN_DISK_SIZE = 16 * MiB;
const FIRST_PARTITION_OFFSET = 4 * MiB;
/** Kept free at the end for the backup GPT. */
const END_RESERVE = 1 * MiB;
const ENV_SIZE = 0x20000;
const ENV_OFFSETS = [0x100000, 0x120000] as const;

export interface ByteRange {
  offset: number;
  size: number;
}

export interface AbLayout {
  table: GptTable;
  /** Raw U-Boot environment copies in the gap before the first partition. */
  env: ByteRange[];
  slots: { a: ByteRange; b: ByteRange; data: ByteRange };
}

export interface AbLayoutOptions {
  sizeBytes: number;
  /** Two env copies (U-Boot redundant env) instead of one; default false. */
  envRedundant?: boolean;
  guids?: GuidSource;
}

/**
 * The vfleet A/B disk: rootfs-a and rootfs-b of equal size (40% each of the space between the
 * first 4 MiB and the last 1 MiB, whole MiB), then data up to the last usable LBA.
 */
export function abLayout(options: AbLayoutOptions): AbLayout {
  const { sizeBytes, envRedundant = false, guids = defaultGuidSource } = options;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < MIN_DISK_SIZE || sizeBytes % SECTOR_SIZE !== 0) {
    throw new VfleetError(
      'VFLEET_USAGE',
      `disk size: ${sizeBytes} bytes is not accepted; expected at least ${MIN_DISK_SIZE} (16 MiB), a multiple of ${SECTOR_SIZE}`,
    );
  }
  const slotSize = Math.floor((2 * (sizeBytes - FIRST_PARTITION_OFFSET - END_RESERVE)) / (5 * MiB)) * MiB;
  const a = { offset: FIRST_PARTITION_OFFSET, size: slotSize };
  const b = { offset: a.offset + slotSize, size: slotSize };
  const totalSectors = sizeBytes / SECTOR_SIZE;
  const dataOffset = b.offset + slotSize;
  const data = { offset: dataOffset, size: (usableRange(totalSectors).last + 1) * SECTOR_SIZE - dataOffset };
  const guid = (): string => normalizeGuid(guids(), 'GUID source');
  const named = [['rootfs-a', a], ['rootfs-b', b], ['data', data]] as const;
  const table: GptTable = {
    diskGuid: guid(),
    sectorSize: SECTOR_SIZE,
    totalSectors,
    partitions: named.map(([name, range], i) => ({
      index: i + 1,
      name,
      typeGuid: LINUX_FILESYSTEM_GUID,
      guid: guid(),
      firstLba: range.offset / SECTOR_SIZE,
      lastLba: (range.offset + range.size) / SECTOR_SIZE - 1,
      attributes: 0n,
    })),
  };
  const env = ENV_OFFSETS.slice(0, envRedundant ? 2 : 1).map((offset) => ({ offset, size: ENV_SIZE }));
  return { table, env, slots: { a, b, data } };
}
