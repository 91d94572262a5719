// A resource's bytes, checked against meta.conf (length and BLAKE2b-256) as `fwup -V` does.
import type { FwupArchive, FwupArchiveEntry } from './archive.js';
import { blake2b256Hex } from './blake2b.js';
import { fwupError } from './fwup-error.js';
import { type FwupResource, resourceDataSize } from './meta-types.js';
import { readZipEntry } from './zip-read.js';

export function resourceEntryWhere(archive: FwupArchive, entry: FwupArchiveEntry): string {
  return `${archive.source}: ${entry.zip.name} (ZIP entry at byte ${entry.zip.localOffset})`;
}

/** The metadata meta.conf holds for an archive entry, or a rejection naming the entry. */
export function resourceOf(archive: FwupArchive, entry: FwupArchiveEntry): FwupResource {
  const resource = archive.meta.resources.find((r) => r.name === entry.resource);
  if (resource === undefined) throw fwupError('archive', resourceEntryWhere(archive, entry), `Can't find file-resource for ${entry.resource} in meta.conf`);
  return resource;
}

/** Decompresses an entry and checks it against its file-resource; returns the verified bytes. */
export function checkedResourceData(archive: FwupArchive, entry: FwupArchiveEntry, resource: FwupResource): Buffer {
  const where = resourceEntryWhere(archive, entry);
  const expected = resourceDataSize(resource);
  if (entry.zip.size !== expected) {
    const hint = resource.lengths.length === 1 ? ' (an xdelta3 patch? vfleet does not apply those)' : '';
    throw fwupError('archive', where, `ZIP data length mismatch for ${resource.name}: ${entry.zip.size} bytes, meta.conf says ${expected}${hint}`);
  }
  if (resource.blake2b256 === undefined || !/^[0-9a-f]{64}$/.test(resource.blake2b256)) {
    throw fwupError('archive', where, `invalid blake2b-256 hash for '${resource.name}' in meta.conf: expected 64 lowercase hex digits`);
  }
  const data = readZipEntry(archive.bytes, entry.zip, archive.source);
  const actual = blake2b256Hex(data);
  if (actual !== resource.blake2b256) {
    throw fwupError('archive', where, `Detected blake2b digest mismatch for ${resource.name}: meta.conf says ${resource.blake2b256}, the data hashes to ${actual}`);
  }
  return data;
}
