// The byte ranges fwup's raw_write produces for a resource: data runs of the sparse map at their
// offsets (holes skipped, a final hole ended by up to one block of zeros), each padded with zeros
// to whole 512-byte blocks as fwup's pad_to_block_writer does.
import type { FwupResource } from './meta-types.js';
import { BLOCK_SIZE } from './planned-image.js';
import type { ResourceBytes } from './zip-source.js';

export interface RawChunk {
  /** Byte offset relative to the raw_write destination. */
  offset: number;
  data: ResourceBytes;
}

function pieces(resource: FwupResource, data: ResourceBytes): RawChunk[] {
  const out: RawChunk[] = [];
  let fileOffset = 0;
  let dataOffset = 0;
  resource.lengths.forEach((length, i) => {
    if (i % 2 === 0 && length > 0) {
      out.push({ offset: fileOffset, data: data.subarray(dataOffset, dataOffset + length) });
      dataOffset += length;
    }
    fileOffset += length;
  });
  const finalHole = resource.lengths.length % 2 === 0 ? (resource.lengths.at(-1) ?? 0) : 0;
  if (finalHole > 0) {
    const zeros = Math.min(BLOCK_SIZE, finalHole);
    out.push({ offset: fileOffset - zeros, data: Buffer.alloc(zeros) });
  }
  return out;
}

const floorBlock = (n: number): number => Math.floor(n / BLOCK_SIZE) * BLOCK_SIZE;
const ceilBlock = (n: number): number => Math.ceil(n / BLOCK_SIZE) * BLOCK_SIZE;

/** A run alone in its blocks: its whole blocks as they are (no copy), then its padded last block. */
function padded(piece: RawChunk): RawChunk[] {
  const whole = floorBlock(piece.data.length);
  const out: RawChunk[] = whole > 0 ? [{ offset: piece.offset, data: piece.data.subarray(0, whole) }] : [];
  if (whole < piece.data.length) {
    const last = Buffer.alloc(BLOCK_SIZE);
    piece.data.copy(last, 0, whole, piece.data.length);
    out.push({ offset: piece.offset + whole, data: last });
  }
  return out;
}

/** Block-aligned chunks to write; runs that share a block are merged so none overwrites another. */
export function rawWriteChunks(resource: FwupResource, data: ResourceBytes): RawChunk[] {
  const groups: RawChunk[][] = [];
  let groupEnd = -1;
  for (const piece of pieces(resource, data)) {
    const start = floorBlock(piece.offset);
    if (start < groupEnd) groups.at(-1)?.push(piece);
    else groups.push([piece]);
    groupEnd = Math.max(groupEnd, ceilBlock(piece.offset + piece.data.length));
  }
  return groups.flatMap((group) => {
    const first = group[0] as RawChunk;
    const last = group.at(-1) as RawChunk;
    const start = floorBlock(first.offset);
    const end = ceilBlock(last.offset + last.data.length);
    if (group.length === 1 && start === first.offset) return padded(first);
    const out = Buffer.alloc(end - start);
    for (const p of group) p.data.copy(out, p.offset - start);
    return [{ offset: start, data: out }];
  });
}
