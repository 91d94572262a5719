import { checkPartitions } from './check-partitions.js';
import { diskInvalid } from './disk-error.js';
import { decodeGptEntries } from './gpt-entries.js';
import { decodeGptHeader, type GptHeader } from './gpt-header.js';
import { SECTOR_SIZE, type DecodedGpt, type GptPartition } from './gpt-types.js';
import { checkProtectiveMbr } from './protective-mbr.js';
import { VfleetError } from '../errors.js';

/** Reads `length` bytes at byte `offset` of the disk; may return fewer at the end of the disk. */
export type ReadAt = (offset: number, length: number) => Buffer;

interface GptCopy {
  header: GptHeader;
  partitions: GptPartition[];
}

/**
 * Decodes the GPT of a disk of `diskSize` bytes, checking the protective MBR, both header CRCs and
 * both entry-array CRCs. A corrupt primary with a valid backup decodes from the backup with a warning.
 */
export function decodeGpt(read: ReadAt, diskSize: number, source = 'disk image'): DecodedGpt {
  const totalSectors = Math.floor(diskSize / SECTOR_SIZE);
  if (totalSectors < 3) {
    throw diskInvalid(source, `${diskSize} bytes is too small to hold a GPT (needs at least 3 sectors of ${SECTOR_SIZE})`);
  }
  checkProtectiveMbr(read(0, SECTOR_SIZE), source);
  const lastLba = totalSectors - 1;
  const primary = attempt(() => readCopy(read, 1, totalSectors, source, 'primary'));
  const backupLba = primary instanceof Error ? lastLba : primary.header.alternateLba;
  const backup = attempt(() => readCopy(read, backupLba, totalSectors, source, 'backup'));
  const warnings: string[] = [];
  let chosen: GptCopy;
  if (!(primary instanceof Error)) {
    chosen = primary;
    if (backup instanceof Error) warnings.push(`${backup.message}; using the primary GPT`);
    else warnings.push(...compareCopies(primary, backup, source));
    if (backupLba !== lastLba) {
      warnings.push(`${source}: backup GPT header is at LBA ${backupLba}, not at the end of the disk (LBA ${lastLba})`);
    }
  } else if (!(backup instanceof Error)) {
    chosen = backup;
    warnings.push(`${primary.message}; recovered from the backup GPT at byte ${backupLba * SECTOR_SIZE}`);
  } else {
    const backupDetail = backup.message.startsWith(`${source}: `) ? backup.message.slice(source.length + 2) : backup.message;
    throw new VfleetError('VFLEET_DISK_INVALID', `${primary.message}; the backup is unusable too: ${backupDetail}`, {
      cause: primary,
    });
  }
  const { header, partitions } = chosen;
  const entriesOffset = header.entriesLba * SECTOR_SIZE;
  checkPartitions(
    partitions,
    { first: header.firstUsableLba, last: header.lastUsableLba },
    source,
    (p) => `partition ${p.index} entry at byte ${entriesOffset + (p.index - 1) * header.entrySize}`,
  );
  return { table: { diskGuid: header.diskGuid, sectorSize: SECTOR_SIZE, totalSectors, partitions }, warnings };
}

function readCopy(read: ReadAt, lba: number, totalSectors: number, source: string, which: string): GptCopy {
  if (lba < 1 || lba >= totalSectors) {
    throw diskInvalid(source, `${which} GPT header LBA ${lba} lies outside the disk (${totalSectors} sectors)`);
  }
  const header = decodeGptHeader(read(lba * SECTOR_SIZE, SECTOR_SIZE), lba, totalSectors, source, `${which} GPT header`);
  const bytes = read(header.entriesLba * SECTOR_SIZE, header.entryCount * header.entrySize);
  return { header, partitions: decodeGptEntries(bytes, header, source, `${which} GPT entry array`) };
}

function compareCopies(primary: GptCopy, backup: GptCopy, source: string): string[] {
  const p = primary.header;
  const b = backup.header;
  const differs =
    p.diskGuid !== b.diskGuid ||
    p.firstUsableLba !== b.firstUsableLba ||
    p.lastUsableLba !== b.lastUsableLba ||
    p.entriesCrc !== b.entriesCrc;
  return differs ? [`${source}: primary and backup GPT differ; using the primary`] : [];
}

function attempt<T>(fn: () => T): T | Error {
  try {
    return fn();
  } catch (e) {
    if (e instanceof VfleetError) return e;
    throw e;
  }
}
