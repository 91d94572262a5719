// Fleet-scale A/B disk images: the GPT of a generation is encoded once; each image gets fresh GUIDs
// patched in (entry-array and header CRCs recomputed) and is written through one descriptor: create,
// size, the non-zero sectors and caller regions in offset order, close.
import { randomFillSync } from 'node:crypto';
import { closeSync, constants, ftruncateSync, openSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { VfleetError } from '../errors.js';
import { abLayout, type AbLayout, type ByteRange } from './ab-layout.js';
import { ioError, writeAll } from './disk-file.js';
import { encodeGpt } from './encode-gpt.js';
import { ENTRY_COUNT, ENTRY_SECTORS, ENTRY_SIZE, SECTOR_SIZE } from './gpt-types.js';
import { normalizeGuid, writeGuid, type GuidSource } from './guid.js';

export interface AbImageTemplateOptions {
  sizeBytes: number;
  /** Two env copies (U-Boot redundant env) instead of one; default false. */
  envRedundant?: boolean;
  /** Where each image's GUIDs come from (disk, then one per partition); default random version-4 GUIDs. */
  guids?: GuidSource;
}

/** Bytes to put at `offset` of a new image; trailing zeros are left as a hole. */
export interface ImageRegion {
  offset: number;
  data: Uint8Array;
}

export interface AbImageTemplate {
  sizeBytes: number;
  /** Ranges every image of this template shares (only the GUIDs differ between images). */
  env: ByteRange[];
  slots: AbLayout['slots'];
  /** Creates the sparse image `path` (which must not exist) with fresh GUIDs and `regions` written. */
  create(path: string, regions?: readonly ImageRegion[]): void;
}

const HEADER_BYTES = 92;
const HEADER_CRC_AT = 16;
const DISK_GUID_AT = 56;
const ENTRIES_CRC_AT = 88;
const ENTRY_GUID_AT = 16;
const ENTRIES_BYTES = ENTRY_COUNT * ENTRY_SIZE;

export function abImageTemplate(options: AbImageTemplateOptions): AbImageTemplate {
  const { sizeBytes, envRedundant = false } = options;
  const layout = abLayout({ sizeBytes, envRedundant });
  const { head, tail } = encodeGpt(layout.table);
  const partitions = layout.table.partitions.map((p) => p.index - 1);
  // Offsets inside `head` and `tail` of what differs per image.
  const headHeader = head.subarray(SECTOR_SIZE, 2 * SECTOR_SIZE);
  const headEntries = head.subarray(2 * SECTOR_SIZE, 2 * SECTOR_SIZE + ENTRIES_BYTES);
  const tailEntries = tail.subarray(0, ENTRIES_BYTES);
  const tailHeader = tail.subarray(ENTRY_SECTORS * SECTOR_SIZE);
  // GUIDs never turn a sector with data into a zero one, so the runs to write are fixed per template.
  const headRuns = nonZeroRuns(head, 0);
  const tailRuns = nonZeroRuns(tail, sizeBytes - tail.length);
  const guidBytes = Buffer.alloc(16);
  const source = options.guids;
  const nextGuid = source
    ? (): Buffer => {
        writeGuid(normalizeGuid(source(), 'GUID source'), guidBytes, 0);
        return guidBytes;
      }
    : randomGuid;

  const patch = (): void => {
    const disk = nextGuid();
    disk.copy(headHeader, DISK_GUID_AT);
    disk.copy(tailHeader, DISK_GUID_AT);
    for (const i of partitions) {
      const guid = nextGuid();
      guid.copy(headEntries, i * ENTRY_SIZE + ENTRY_GUID_AT);
      guid.copy(tailEntries, i * ENTRY_SIZE + ENTRY_GUID_AT);
    }
    const entriesCrc = crc32(headEntries);
    for (const header of [headHeader, tailHeader]) {
      header.writeUInt32LE(entriesCrc, ENTRIES_CRC_AT);
      header.writeUInt32LE(0, HEADER_CRC_AT);
      header.writeUInt32LE(crc32(header.subarray(0, HEADER_BYTES)), HEADER_CRC_AT);
    }
  };

  const create = (path: string, regions: readonly ImageRegion[] = []): void => {
    const writes: ImageRegion[] = [...headRuns];
    for (const r of regions) {
      if (!Number.isSafeInteger(r.offset) || r.offset < head.length || r.offset + r.data.length > sizeBytes - tail.length) {
        throw new VfleetError(
          'VFLEET_USAGE',
          `${path}: region ${r.offset}..${r.offset + r.data.length} is outside the space between the GPT head and tail (${head.length}..${sizeBytes - tail.length})`,
        );
      }
      const data = withoutTrailingZeros(r.data);
      if (data.length > 0) writes.push({ offset: r.offset, data });
    }
    writes.sort((a, b) => a.offset - b.offset);
    writes.push(...tailRuns);
    patch();
    const fd = openNew(path);
    try {
      ftruncateSync(fd, sizeBytes);
      for (const w of writes) writeAll(fd, w.data, w.offset);
    } catch (e) {
      throw ioError(path, 'write the disk image', e);
    } finally {
      closeSync(fd);
    }
  };
  return { sizeBytes, env: layout.env, slots: layout.slots, create };
}

/** Views into `data` of its runs of non-zero sectors, placed at `base`. */
function nonZeroRuns(data: Buffer, base: number): ImageRegion[] {
  const runs: ImageRegion[] = [];
  let run = -1;
  for (let at = 0; at <= data.length; at += SECTOR_SIZE) {
    const zero = at === data.length || isZero(data.subarray(at, at + SECTOR_SIZE));
    if (!zero && run < 0) run = at;
    if (zero && run >= 0) {
      runs.push({ offset: base + run, data: data.subarray(run, at) });
      run = -1;
    }
  }
  return runs;
}

const isZero = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0);

const trimmed = new WeakMap<Uint8Array, Uint8Array>();

/** Regions repeat across a generation (env blocks, boot headers): trim each once. */
function withoutTrailingZeros(data: Uint8Array): Uint8Array {
  let t = trimmed.get(data);
  if (t === undefined) {
    let end = data.length;
    while (end > 0 && data[end - 1] === 0) end--;
    t = data.subarray(0, end);
    trimmed.set(data, t);
  }
  return t;
}

const pool = Buffer.alloc(16 * 256);
let poolAt = pool.length;

/** A random version-4 GUID in GPT's on-disk byte order (first three fields little-endian). */
function randomGuid(): Buffer {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const guid = pool.subarray(poolAt, (poolAt += 16));
  // canonical byte 6 (version) is stored at 7; byte 8 (variant) stays at 8
  guid[7] = ((guid[7] as number) & 0x0f) | 0x40;
  guid[8] = ((guid[8] as number) & 0x3f) | 0x80;
  return guid;
}

function openNew(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new VfleetError('VFLEET_IO', `${path}: already exists; a new disk image is only created where there is none`, { cause: e });
    }
    throw ioError(path, 'create the disk image', e);
  }
}
