export const SECTOR_SIZE = 512;
export const ENTRY_COUNT = 128;
export const ENTRY_SIZE = 128;
/** Sectors of the entry array this module writes (128 × 128 bytes). */
export const ENTRY_SECTORS = (ENTRY_COUNT * ENTRY_SIZE) / SECTOR_SIZE;
/** Protective MBR + primary header + entry array: LBA 0..33. */
export const HEAD_SECTORS = 2 + ENTRY_SECTORS;
/** Backup entry array + backup header: the last 33 LBAs. */
export const TAIL_SECTORS = ENTRY_SECTORS + 1;
export const MAX_NAME_LENGTH = 36;

export interface GptPartition {
  /** 1-based partition number as Linux and sfdisk count it: slot in the entry array + 1. */
  index: number;
  name: string;
  typeGuid: string;
  guid: string;
  firstLba: number;
  /** Inclusive. */
  lastLba: number;
  attributes: bigint;
}

export interface GptTable {
  diskGuid: string;
  sectorSize: 512;
  totalSectors: number;
  partitions: GptPartition[];
}

export interface DecodedGpt {
  table: GptTable;
  /** Non-fatal findings, e.g. the primary header was corrupt and the backup was used. */
  warnings: string[];
}

/** First and last usable LBA of a disk this module writes. */
export function usableRange(totalSectors: number): { first: number; last: number } {
  return { first: HEAD_SECTORS, last: totalSectors - TAIL_SECTORS - 1 };
}
