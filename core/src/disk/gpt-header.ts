import { crc32 } from 'node:zlib';
import { diskInvalid, hex32 } from './disk-error.js';
import { readGuid, writeGuid } from './guid.js';
import { SECTOR_SIZE } from './gpt-types.js';

const SIGNATURE = 'EFI PART';
const REVISION_1_0 = 0x00010000;
const HEADER_SIZE = 92;
const CRC_OFFSET = 16;
/** Largest entry array accepted when reading (sfdisk and the spec default is 16 KiB). */
const MAX_ENTRIES_BYTES = 1024 * 1024;

export interface GptHeader {
  myLba: number;
  alternateLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  entriesCrc: number;
}

/** Writes the header with its CRC into the zeroed sector `buf`. */
export function writeGptHeader(buf: Buffer, h: GptHeader): void {
  buf.write(SIGNATURE, 0, 'latin1');
  buf.writeUInt32LE(REVISION_1_0, 8);
  buf.writeUInt32LE(HEADER_SIZE, 12);
  buf.writeBigUInt64LE(BigInt(h.myLba), 24);
  buf.writeBigUInt64LE(BigInt(h.alternateLba), 32);
  buf.writeBigUInt64LE(BigInt(h.firstUsableLba), 40);
  buf.writeBigUInt64LE(BigInt(h.lastUsableLba), 48);
  writeGuid(h.diskGuid, buf, 56);
  buf.writeBigUInt64LE(BigInt(h.entriesLba), 72);
  buf.writeUInt32LE(h.entryCount, 80);
  buf.writeUInt32LE(h.entrySize, 84);
  buf.writeUInt32LE(h.entriesCrc, 88);
  buf.writeUInt32LE(crc32(buf.subarray(0, HEADER_SIZE)), CRC_OFFSET);
}

/**
 * Decodes and checks the header in `sector`, read from LBA `expectedLba` of a disk of
 * `totalSectors`. `label` ("primary GPT header") and `source` name it in errors.
 */
export function decodeGptHeader(
  sector: Buffer,
  expectedLba: number,
  totalSectors: number,
  source: string,
  label: string,
): GptHeader {
  const at = `${label} at byte ${expectedLba * SECTOR_SIZE}`;
  const fail = (detail: string): Error => diskInvalid(source, `${at}: ${detail}`);
  if (sector.length < SECTOR_SIZE) throw fail(`only ${sector.length} bytes, need ${SECTOR_SIZE}`);
  const signature = sector.toString('latin1', 0, 8);
  if (signature !== SIGNATURE) {
    throw fail(`"EFI PART" signature missing (found ${JSON.stringify(signature)}); not a GPT disk`);
  }
  const headerSize = sector.readUInt32LE(12);
  if (headerSize < HEADER_SIZE || headerSize > SECTOR_SIZE) {
    throw fail(`header size ${headerSize} out of range, expected ${HEADER_SIZE}..${SECTOR_SIZE}`);
  }
  const stored = sector.readUInt32LE(CRC_OFFSET);
  const copy = Buffer.from(sector.subarray(0, headerSize));
  copy.writeUInt32LE(0, CRC_OFFSET);
  const computed = crc32(copy);
  if (stored !== computed) throw fail(`header CRC mismatch: stored ${hex32(stored)}, computed ${hex32(computed)}`);

  const u64 = (offset: number, name: string): number => {
    const v = sector.readBigUInt64LE(offset);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`${name} ${v} (field at +${offset}) is too large`);
    return Number(v);
  };
  const h: GptHeader = {
    myLba: u64(24, 'current LBA'),
    alternateLba: u64(32, 'backup LBA'),
    firstUsableLba: u64(40, 'first usable LBA'),
    lastUsableLba: u64(48, 'last usable LBA'),
    diskGuid: readGuid(sector, 56),
    entriesLba: u64(72, 'partition entries LBA'),
    entryCount: sector.readUInt32LE(80),
    entrySize: sector.readUInt32LE(84),
    entriesCrc: sector.readUInt32LE(88),
  };
  if (h.myLba !== expectedLba) throw fail(`header says it is at LBA ${h.myLba}, but it was read from LBA ${expectedLba}`);
  if (h.entrySize < 128 || (h.entrySize & (h.entrySize - 1)) !== 0) {
    throw fail(`partition entry size ${h.entrySize} invalid, expected 128 × 2^n`);
  }
  const entriesBytes = h.entryCount * h.entrySize;
  if (h.entryCount === 0 || entriesBytes > MAX_ENTRIES_BYTES) {
    throw fail(`${h.entryCount} partition entries of ${h.entrySize} bytes; expected 1..${MAX_ENTRIES_BYTES} bytes in all`);
  }
  const entriesEnd = h.entriesLba + Math.ceil(entriesBytes / SECTOR_SIZE);
  if (h.entriesLba < 2 || entriesEnd > totalSectors) {
    throw fail(`partition entries at LBA ${h.entriesLba}..${entriesEnd - 1} lie outside the disk (${totalSectors} sectors)`);
  }
  if (h.firstUsableLba > h.lastUsableLba || h.lastUsableLba >= totalSectors) {
    throw fail(
      `usable range LBA ${h.firstUsableLba}..${h.lastUsableLba} does not fit a disk of ${totalSectors} sectors`,
    );
  }
  return h;
}
