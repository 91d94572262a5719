import { crc32 } from 'node:zlib';
import { checkPartitions } from './check-partitions.js';
import { diskInvalid } from './disk-error.js';
import { writeGptEntries } from './gpt-entries.js';
import { writeGptHeader, type GptHeader } from './gpt-header.js';
import {
  ENTRY_COUNT,
  ENTRY_SECTORS,
  ENTRY_SIZE,
  HEAD_SECTORS,
  MAX_NAME_LENGTH,
  SECTOR_SIZE,
  TAIL_SECTORS,
  usableRange,
  type GptPartition,
  type GptTable,
} from './gpt-types.js';
import { normalizeGuid, ZERO_GUID } from './guid.js';
import { writeProtectiveMbr } from './protective-mbr.js';

export interface EncodedGpt {
  /** LBA 0..33: protective MBR, primary header, entry array. */
  head: Buffer;
  /** The last 33 LBAs: backup entry array, backup header. */
  tail: Buffer;
}

/** Encodes `table` as the sectors at the start and end of a disk of `table.totalSectors`. */
export function encodeGpt(table: GptTable): EncodedGpt {
  const source = 'GPT table';
  const partitions = normalizePartitions(table, source);
  const { totalSectors } = table;
  const usable = usableRange(totalSectors);
  checkPartitions(partitions, usable, source, (p) => `partition ${p.index}`);

  const head = Buffer.alloc(HEAD_SECTORS * SECTOR_SIZE);
  const entries = head.subarray(2 * SECTOR_SIZE);
  writeProtectiveMbr(head, totalSectors);
  writeGptEntries(entries, partitions);
  const common = {
    firstUsableLba: usable.first,
    lastUsableLba: usable.last,
    diskGuid: normalizeGuid(table.diskGuid, `${source}: disk GUID`),
    entryCount: ENTRY_COUNT,
    entrySize: ENTRY_SIZE,
    entriesCrc: crc32(entries),
  } satisfies Partial<GptHeader>;
  const last = totalSectors - 1;
  writeGptHeader(head.subarray(SECTOR_SIZE), { ...common, myLba: 1, alternateLba: last, entriesLba: 2 });
  const tail = Buffer.alloc(TAIL_SECTORS * SECTOR_SIZE);
  entries.copy(tail);
  writeGptHeader(tail.subarray(ENTRY_SECTORS * SECTOR_SIZE), {
    ...common,
    myLba: last,
    alternateLba: 1,
    entriesLba: last - ENTRY_SECTORS,
  });
  return { head, tail };
}

function normalizePartitions(table: GptTable, source: string): GptPartition[] {
  const minSectors = HEAD_SECTORS + TAIL_SECTORS + 1;
  if (!Number.isSafeInteger(table.totalSectors) || table.totalSectors < minSectors) {
    throw diskInvalid(source, `totalSectors ${table.totalSectors} invalid, expected a whole number ≥ ${minSectors}`);
  }
  const seenIndex = new Set<number>();
  const seenGuid = new Set<string>();
  return table.partitions.map((p, i) => {
    const where = `partitions[${i}]`;
    if (!Number.isInteger(p.index) || p.index < 1 || p.index > ENTRY_COUNT || seenIndex.has(p.index)) {
      throw diskInvalid(source, `${where}.index ${p.index} invalid, expected a unique number 1..${ENTRY_COUNT}`);
    }
    seenIndex.add(p.index);
    if (p.name.length > MAX_NAME_LENGTH) {
      throw diskInvalid(source, `${where}.name ${JSON.stringify(p.name)} is ${p.name.length} UTF-16 units, max ${MAX_NAME_LENGTH}`);
    }
    if (!Number.isSafeInteger(p.firstLba) || !Number.isSafeInteger(p.lastLba)) {
      throw diskInvalid(source, `${where}: LBAs ${p.firstLba}..${p.lastLba} must be whole numbers`);
    }
    if (p.attributes < 0n || p.attributes > 0xffffffffffffffffn) {
      throw diskInvalid(source, `${where}.attributes ${p.attributes} does not fit in 64 bits`);
    }
    const guid = normalizeGuid(p.guid, `${source}: ${where}.guid`);
    if (seenGuid.has(guid)) throw diskInvalid(source, `${where}.guid ${guid} is used by another partition`);
    seenGuid.add(guid);
    const typeGuid = normalizeGuid(p.typeGuid, `${source}: ${where}.typeGuid`);
    if (typeGuid === ZERO_GUID) throw diskInvalid(source, `${where}.typeGuid is the zero GUID, which marks an unused entry`);
    return { ...p, guid, typeGuid };
  });
}
