// The cpio "crc" format (magic 070702, SVR4 with checksum) that swupdate reads a .swu from.
import { VfleetError } from '@vfleet/core';

export const CPIO_CRC_MAGIC = '070702';
export const CPIO_NEWC_MAGIC = '070701';
export const CPIO_TRAILER = 'TRAILER!!!';
const HEADER_SIZE = 110;
const REGULAR_FILE = 0o100644;
const MAX_FIELD = 0xffffffff;

/** Bytes that bring `n` up to the next multiple of 4 (cpio pads names and data to 4). */
export const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** The cpio "crc" checksum: the sum of all data bytes, modulo 2^32. */
export function cpioChecksum(data: Uint8Array, start = 0): number {
  let sum = start;
  for (let i = 0; i < data.length; i++) sum += data[i] as number;
  return sum >>> 0;
}

export interface CpioEntryHeader {
  name: string;
  size: number;
  /** cpioChecksum of the data. */
  checksum: number;
  /** Inode number; distinct per entry. */
  ino: number;
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** Header + NUL-terminated name + padding; the data (then pad4(size) zeros) follows. */
export function encodeCpioHeader(entry: CpioEntryHeader): Buffer {
  const { name, size, checksum, ino } = entry;
  if (name === '' || name.includes('\0') || name.length > 255) {
    throw new VfleetError('VFLEET_USAGE', `cpio entry name ${JSON.stringify(name)}: expected 1-255 characters without NUL`);
  }
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_FIELD) {
    throw new VfleetError('VFLEET_USAGE', `cpio entry ${name}: size ${size} does not fit the format (at most ${MAX_FIELD} bytes)`);
  }
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const mode = name === CPIO_TRAILER ? 0 : REGULAR_FILE;
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  const fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, nameBytes.length, checksum];
  const head = Buffer.from(CPIO_CRC_MAGIC + fields.map(hex8).join(''), 'ascii');
  return Buffer.concat([head, nameBytes, Buffer.alloc(pad4(HEADER_SIZE + nameBytes.length))]);
}

/** The trailer entry that ends the archive. */
export const cpioTrailer = (): Buffer => encodeCpioHeader({ name: CPIO_TRAILER, size: 0, checksum: 0, ino: 0 });

export interface CpioEntry {
  name: string;
  size: number;
  checksum: number;
  magic: string;
  /** Offset of the entry's data in the archive. */
  dataOffset: number;
}

/**
 * Reads the entries' headers of a cpio "newc"/"crc" archive through `read(offset, length)`;
 * stops at the trailer. Refuses anything malformed, naming the byte offset.
 */
export function readCpioEntries(read: (offset: number, length: number) => Buffer, totalSize: number, source: string): CpioEntry[] {
  const entries: CpioEntry[] = [];
  let offset = 0;
  for (;;) {
    if (offset + HEADER_SIZE > totalSize) throw new VfleetError('VFLEET_USAGE', `${source}: cpio archive ends at byte ${totalSize} without a trailer`);
    const head = read(offset, HEADER_SIZE).toString('latin1');
    const magic = head.slice(0, 6);
    if (magic !== CPIO_CRC_MAGIC && magic !== CPIO_NEWC_MAGIC) {
      throw new VfleetError('VFLEET_USAGE', `${source}: byte ${offset}: not a cpio newc/crc header (magic ${JSON.stringify(magic)})`);
    }
    const field = (i: number): number => {
      const text = head.slice(6 + i * 8, 14 + i * 8);
      if (!/^[0-9a-fA-F]{8}$/.test(text)) throw new VfleetError('VFLEET_USAGE', `${source}: byte ${offset + 6 + i * 8}: cpio header field is not hex`);
      return parseInt(text, 16);
    };
    const size = field(6);
    const nameSize = field(11);
    const checksum = field(12);
    if (nameSize < 1 || offset + HEADER_SIZE + nameSize > totalSize) throw new VfleetError('VFLEET_USAGE', `${source}: byte ${offset}: cpio name size ${nameSize} out of range`);
    const name = read(offset + HEADER_SIZE, nameSize - 1).toString('utf8');
    const dataOffset = offset + HEADER_SIZE + nameSize + pad4(HEADER_SIZE + nameSize);
    if (name === CPIO_TRAILER) return entries;
    if (dataOffset + size > totalSize) throw new VfleetError('VFLEET_USAGE', `${source}: cpio entry ${name} at byte ${offset}: ${size} bytes of data run past the end (${totalSize})`);
    entries.push({ name, size, checksum, magic, dataOffset });
    offset = dataOffset + size + pad4(size);
  }
}
