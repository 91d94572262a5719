// A resource's bytes, checked against meta.conf (length and BLAKE2b-256) as `fwup -V` does.
import { crc32, hex32 } from '../uboot-env/crc32.js';
import type { FwupArchive, FwupArchiveEntry } from './archive.js';
import { Blake2b } from './blake2b.js';
import { fwupError } from './fwup-error.js';
import { type FwupResource, resourceDataSize } from './meta-types.js';
import { METHOD_STORE } from './zip-layout.js';
import { readZipEntry, zipEntryWhere } from './zip-read.js';
import type { ResourceBytes } from './zip-source.js';

/** Bytes hashed per step of a stored resource: large enough for few calls, small enough to stay in cache. */
const CHUNK = 1024 * 1024;

export function resourceEntryWhere(archive: FwupArchive, entry: FwupArchiveEntry): string {
  return `${archive.source}: ${entry.zip.name} (ZIP entry at byte ${entry.zip.localOffset})`;
}

/** The metadata meta.conf holds for an archive entry, or a rejection naming the entry. */
export function resourceOf(archive: FwupArchive, entry: FwupArchiveEntry): FwupResource {
  const resource = archive.meta.resources.find((r) => r.name === entry.resource);
  if (resource === undefined) throw fwupError('archive', resourceEntryWhere(archive, entry), `Can't find file-resource for ${entry.resource} in meta.conf`);
  return resource;
}

/** CRC-32 and BLAKE2b-256 of stored bytes in one pass of cache-sized chunks. */
function digestStored(data: ResourceBytes): { crc: number; blake2b256: string } {
  const hash = new Blake2b(32);
  const chunk = Buffer.isBuffer(data) ? undefined : Buffer.allocUnsafe(Math.min(CHUNK, data.length));
  let crc = 0;
  for (let pos = 0; pos < data.length; pos += CHUNK) {
    const end = Math.min(pos + CHUNK, data.length);
    let piece: Buffer;
    if (chunk === undefined) piece = (data as Buffer).subarray(pos, end);
    else {
      data.copy(chunk, 0, pos, end);
      piece = chunk.subarray(0, end - pos);
    }
    crc = crc32(piece, crc);
    hash.update(piece);
  }
  return { crc, blake2b256: hash.digest().toString('hex') };
}

/**
 * Checks an entry against its file-resource and returns its bytes: in memory for a deflated entry,
 * the archive's own range for a stored one (read in chunks once to check, again when written).
 */
export function checkedResourceData(archive: FwupArchive, entry: FwupArchiveEntry, resource: FwupResource): ResourceBytes {
  const where = resourceEntryWhere(archive, entry);
  const expected = resourceDataSize(resource);
  if (entry.zip.size !== expected) {
    const hint = resource.lengths.length === 1 ? ' (an xdelta3 patch? vfleet does not apply those)' : '';
    throw fwupError('archive', where, `ZIP data length mismatch for ${resource.name}: ${entry.zip.size} bytes, meta.conf says ${expected}${hint}`);
  }
  if (resource.blake2b256 === undefined || !/^[0-9a-f]{64}$/.test(resource.blake2b256)) {
    throw fwupError('archive', where, `invalid blake2b-256 hash for '${resource.name}' in meta.conf: expected 64 lowercase hex digits`);
  }
  let data: ResourceBytes;
  let actual: string;
  if (entry.zip.method === METHOD_STORE || entry.inflated !== undefined) {
    // stored in the archive, or a deflated entry inflated into a file beforehand: read by range
    data = entry.inflated?.range(0, entry.zip.size) ?? archive.reader.range(entry.zip.dataOffset, entry.zip.size);
    const digests = digestStored(data);
    if (digests.crc !== entry.zip.crc32) {
      throw fwupError('archive', zipEntryWhere(entry.zip, archive.source), `CRC-32 mismatch: recorded ${hex32(entry.zip.crc32)}, computed ${hex32(digests.crc)}`);
    }
    actual = digests.blake2b256;
  } else {
    data = readZipEntry(archive.reader, entry.zip, archive.source);
    actual = new Blake2b(32).update(data).digest().toString('hex');
  }
  if (actual !== resource.blake2b256) {
    throw fwupError('archive', where, `Detected blake2b digest mismatch for ${resource.name}: meta.conf says ${resource.blake2b256}, the data hashes to ${actual}`);
  }
  return data;
}
