import { inflateRawSync } from 'node:zlib';
import { crc32, hex32 } from '../uboot-env/crc32.js';
import { fwupError } from './fwup-error.js';
import {
  CENTRAL_HEADER_SIZE,
  CENTRAL_SIGNATURE,
  END_RECORD_SIZE,
  END_SIGNATURE,
  EXTRA_TIMESTAMP,
  FLAG_ENCRYPTED,
  fromDosDateTime,
  LOCAL_HEADER_SIZE,
  LOCAL_SIGNATURE,
  METHOD_DEFLATE,
  METHOD_STORE,
  ZIP64_LOCATOR_SIGNATURE,
} from './zip-layout.js';
import { bufferZipSource, type ZipSource } from './zip-source.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Byte offset of the local header; entries are listed in this order, as a streaming reader sees them. */
  localOffset: number;
  /** Byte offset of the (compressed) data. */
  dataOffset: number;
  mtime: Date;
}

const MAX_COMMENT = 0xffff;

interface EndRecord {
  count: number;
  directoryOffset: number;
  directoryEnd: number;
}

function findEnd(zip: ZipSource, source: string): EndRecord {
  const lowest = Math.max(0, zip.size - END_RECORD_SIZE - MAX_COMMENT);
  const tail = zip.read(lowest, zip.size - lowest);
  for (let at = tail.length - END_RECORD_SIZE; at >= 0; at--) {
    const pos = lowest + at;
    if (tail.readUInt32LE(at) !== END_SIGNATURE || pos + END_RECORD_SIZE + tail.readUInt16LE(at + 20) !== zip.size) continue;
    const count = tail.readUInt16LE(at + 10);
    const size = tail.readUInt32LE(at + 12);
    const offset = tail.readUInt32LE(at + 16);
    const zip64 = pos >= 20 && zip.read(pos - 20, 4).readUInt32LE(0) === ZIP64_LOCATOR_SIGNATURE;
    if (zip64 || count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
      throw fwupError('archive', source, `ZIP64 archive (end record at byte ${pos}); only archives under 4 GiB without ZIP64 records are supported`);
    }
    if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0 || tail.readUInt16LE(at + 8) !== count) {
      throw fwupError('archive', source, `multi-disk ZIP archive (end record at byte ${pos}) is not supported`);
    }
    if (offset + size > pos) {
      throw fwupError('archive', source, `corrupt ZIP: central directory at bytes ${offset}..${offset + size} overlaps the end record at byte ${pos}`);
    }
    return { count, directoryOffset: offset, directoryEnd: offset + size };
  }
  throw fwupError('archive', source, `not a ZIP archive: no end-of-central-directory record in the last ${zip.size - lowest} bytes`);
}

function timestampOf(extra: Buffer): number | undefined {
  for (let pos = 0; pos + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(pos);
    const size = extra.readUInt16LE(pos + 2);
    if (id === EXTRA_TIMESTAMP && size >= 5 && pos + 9 <= extra.length && (extra[pos + 4]! & 1) !== 0) {
      return extra.readInt32LE(pos + 5);
    }
    pos += 4 + size;
  }
  return undefined;
}

/** `dir` holds the central directory (bytes end.directoryOffset..end.directoryEnd of `source`). */
function readCentral(zip: ZipSource, dir: Buffer, at: number, end: EndRecord, source: string): { entry: ZipEntry; next: number } {
  const pos = end.directoryOffset + at;
  if (pos + CENTRAL_HEADER_SIZE > end.directoryEnd || dir.readUInt32LE(at) !== CENTRAL_SIGNATURE) {
    throw fwupError('archive', source, `corrupt ZIP: no central directory record at byte ${pos}`);
  }
  const nameLength = dir.readUInt16LE(at + 28);
  const extraLength = dir.readUInt16LE(at + 30);
  const next = pos + CENTRAL_HEADER_SIZE + nameLength + extraLength + dir.readUInt16LE(at + 32);
  if (next > end.directoryEnd) throw fwupError('archive', source, `corrupt ZIP: central directory record at byte ${pos} runs past the directory`);
  const nameBytes = dir.subarray(at + CENTRAL_HEADER_SIZE, at + CENTRAL_HEADER_SIZE + nameLength);
  const name = nameBytes.toString('utf8');
  const where = `${source}: ZIP entry ${JSON.stringify(name)} (central directory record at byte ${pos})`;
  const flags = dir.readUInt16LE(at + 8);
  const method = dir.readUInt16LE(at + 10);
  const compressedSize = dir.readUInt32LE(at + 20);
  const size = dir.readUInt32LE(at + 24);
  const localOffset = dir.readUInt32LE(at + 42);
  if (flags & FLAG_ENCRYPTED) throw fwupError('archive', where, 'encrypted entries are not supported');
  if (method !== METHOD_STORE && method !== METHOD_DEFLATE) {
    throw fwupError('archive', where, `compression method ${method} is not supported; expected 0 (stored) or 8 (deflate)`);
  }
  if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
    throw fwupError('archive', where, 'ZIP64 sizes are not supported');
  }
  if (method === METHOD_STORE && compressedSize !== size) {
    throw fwupError('archive', where, `stored entry with compressed size ${compressedSize} != size ${size}`);
  }
  const local = localOffset + LOCAL_HEADER_SIZE > end.directoryOffset ? undefined : zip.read(localOffset, LOCAL_HEADER_SIZE);
  if (local === undefined || local.readUInt32LE(0) !== LOCAL_SIGNATURE) {
    throw fwupError('archive', where, `corrupt ZIP: no local header at byte ${localOffset}`);
  }
  const localNameLength = Math.min(local.readUInt16LE(26), end.directoryOffset - localOffset - LOCAL_HEADER_SIZE);
  const localName = zip.read(localOffset + LOCAL_HEADER_SIZE, localNameLength);
  if (!localName.equals(nameBytes)) {
    throw fwupError('archive', where, `corrupt ZIP: local header at byte ${localOffset} names ${JSON.stringify(localName.toString('utf8'))}`);
  }
  const dataOffset = localOffset + LOCAL_HEADER_SIZE + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (dataOffset + compressedSize > end.directoryOffset) {
    throw fwupError('archive', where, `corrupt ZIP: data at bytes ${dataOffset}..${dataOffset + compressedSize} runs into the central directory at byte ${end.directoryOffset}`);
  }
  const unixTime = timestampOf(dir.subarray(at + CENTRAL_HEADER_SIZE + nameLength, at + CENTRAL_HEADER_SIZE + nameLength + extraLength));
  const mtime = unixTime === undefined ? fromDosDateTime(dir.readUInt16LE(at + 14), dir.readUInt16LE(at + 12)) : new Date(unixTime * 1000);
  const entry = { name, method, crc32: dir.readUInt32LE(at + 16), compressedSize, size, localOffset, dataOffset, mtime };
  return { entry, next: next - end.directoryOffset };
}

const asSource = (zip: Buffer | ZipSource): ZipSource => (Buffer.isBuffer(zip) ? bufferZipSource(zip) : zip);

export const zipEntryWhere = (entry: ZipEntry, source: string): string => `${source}: ZIP entry ${JSON.stringify(entry.name)} (data at byte ${entry.dataOffset})`;

/** The entries of a ZIP archive in file order, checked for consistency between central and local headers. */
export function listZipEntries(archive: Buffer | ZipSource, source: string): ZipEntry[] {
  const zip = asSource(archive);
  const end = findEnd(zip, source);
  const directory = zip.read(end.directoryOffset, end.directoryEnd - end.directoryOffset);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let pos = 0;
  for (let i = 0; i < end.count; i++) {
    const { entry, next } = readCentral(zip, directory, pos, end, source);
    if (names.has(entry.name)) throw fwupError('archive', source, `ZIP entry ${JSON.stringify(entry.name)} appears twice (second at byte ${entry.localOffset})`);
    names.add(entry.name);
    entries.push(entry);
    pos = next;
  }
  return entries.sort((a, b) => a.localOffset - b.localOffset);
}

/** The uncompressed bytes of `entry`, checked against its recorded size and CRC-32. */
export function readZipEntry(zip: Buffer | ZipSource, entry: ZipEntry, source: string): Buffer {
  const where = zipEntryWhere(entry, source);
  const raw = asSource(zip).read(entry.dataOffset, entry.compressedSize);
  let data = raw;
  if (entry.method === METHOD_DEFLATE) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw fwupError('archive', where, `corrupt deflate data (or more than the recorded ${entry.size} bytes): ${reason}`, e);
    }
  }
  if (data.length !== entry.size) throw fwupError('archive', where, `inflates to ${data.length} bytes, the central directory says ${entry.size}`);
  const actual = crc32(data);
  if (actual !== entry.crc32) throw fwupError('archive', where, `CRC-32 mismatch: recorded ${hex32(entry.crc32)}, computed ${hex32(actual)}`);
  return data;
}
