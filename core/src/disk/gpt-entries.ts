import { crc32 } from 'node:zlib';
import { diskInvalid, hex32 } from './disk-error.js';
import { readGuid, writeGuid } from './guid.js';
import type { GptHeader } from './gpt-header.js';
import { ENTRY_SIZE, MAX_NAME_LENGTH, SECTOR_SIZE, type GptPartition } from './gpt-types.js';

const NAME_OFFSET = 56;
const NAME_BYTES = MAX_NAME_LENGTH * 2;

/** Writes validated partitions into the zeroed 128 × 128-byte entry array `buf`. */
export function writeGptEntries(buf: Buffer, partitions: readonly GptPartition[]): void {
  for (const p of partitions) {
    const at = (p.index - 1) * ENTRY_SIZE;
    writeGuid(p.typeGuid, buf, at);
    writeGuid(p.guid, buf, at + 16);
    buf.writeBigUInt64LE(BigInt(p.firstLba), at + 32);
    buf.writeBigUInt64LE(BigInt(p.lastLba), at + 40);
    buf.writeBigUInt64LE(p.attributes, at + 48);
    buf.write(p.name, at + NAME_OFFSET, NAME_BYTES, 'utf16le');
  }
}

/**
 * Decodes the used entries of the entry array `header` points at, after checking its CRC.
 * Unused entries (zero type GUID) are skipped. `source` and `label` name it in errors.
 */
export function decodeGptEntries(buf: Buffer, header: GptHeader, source: string, label: string): GptPartition[] {
  const { entryCount, entrySize, entriesCrc: expectedCrc } = header;
  const offset = header.entriesLba * SECTOR_SIZE;
  const length = entryCount * entrySize;
  const at = `${label} at byte ${offset}`;
  if (buf.length < length) throw diskInvalid(source, `${at}: only ${buf.length} bytes, need ${length}`);
  const computed = crc32(buf.subarray(0, length));
  if (computed !== expectedCrc) {
    throw diskInvalid(
      source,
      `${at}: partition entries CRC mismatch: header says ${hex32(expectedCrc)}, computed ${hex32(computed)}`,
    );
  }
  const partitions: GptPartition[] = [];
  for (let i = 0; i < entryCount; i++) {
    const e = i * entrySize;
    if (isZero(buf, e, 16)) continue;
    const first = buf.readBigUInt64LE(e + 32);
    const last = buf.readBigUInt64LE(e + 40);
    if (last > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw diskInvalid(source, `partition ${i + 1} entry at byte ${offset + e}: last LBA ${last} is too large`);
    }
    partitions.push({
      index: i + 1,
      name: decodeName(buf.subarray(e + NAME_OFFSET, e + NAME_OFFSET + NAME_BYTES)),
      typeGuid: readGuid(buf, e),
      guid: readGuid(buf, e + 16),
      firstLba: Number(first),
      lastLba: Number(last),
      attributes: buf.readBigUInt64LE(e + 48),
    });
  }
  return partitions;
}

function decodeName(raw: Buffer): string {
  let end = 0;
  while (end < raw.length && (raw[end] !== 0 || raw[end + 1] !== 0)) end += 2;
  return raw.toString('utf16le', 0, end);
}

function isZero(buf: Buffer, offset: number, length: number): boolean {
  for (let i = offset; i < offset + length; i++) if (buf[i] !== 0) return false;
  return true;
}
