// Where a ZIP archive's bytes come from: a Buffer, or an open file read by range, so that a large
// stored resource is checked and written in chunks instead of being held in memory.
import fs from 'node:fs';
import { fwupError } from './fwup-error.js';

export interface ZipSource {
  size: number;
  /** Bytes offset..offset+length (a view for a Buffer source, a fresh Buffer for a file). */
  read(offset: number, length: number): Buffer;
  /** Reads `length` bytes at `position` into `into` at `at`. */
  readInto(into: Uint8Array, at: number, position: number, length: number): void;
  /** The range as resource bytes: a view for a Buffer source, a FileBytes (read when used) for a file. */
  range(offset: number, length: number): ResourceBytes;
}

/** A range of an archive file standing in for a Buffer where a plan only slices, copies and writes it. */
export class FileBytes {
  constructor(
    private readonly source: ZipSource,
    readonly position: number,
    readonly length: number,
  ) {}

  subarray(start = 0, end = this.length): FileBytes {
    const from = Math.min(Math.max(start, 0), this.length);
    return new FileBytes(this.source, this.position + from, Math.max(Math.min(end, this.length) - from, 0));
  }

  /** As Buffer#copy: copies bytes sourceStart..sourceEnd into target at targetStart; returns the count. */
  copy(target: Uint8Array, targetStart = 0, sourceStart = 0, sourceEnd = this.length): number {
    const count = Math.max(0, Math.min(sourceEnd, this.length, sourceStart + target.length - targetStart) - sourceStart);
    if (count > 0) this.source.readInto(target, targetStart, this.position + sourceStart, count);
    return count;
  }
}

/** Resource bytes: in memory, or a range of the archive file. */
export type ResourceBytes = Buffer | FileBytes;

export function bufferZipSource(bytes: Buffer): ZipSource {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.subarray(offset, offset + length),
    readInto(into, at, position, length) {
      into.set(bytes.subarray(position, position + length), at);
    },
    range: (offset, length) => bytes.subarray(offset, offset + length),
  };
}

/** A source over an open descriptor of `size` bytes; `file` names it in errors. */
export function fileZipSource(fd: number, size: number, file: string): ZipSource {
  const source: ZipSource = {
    size,
    read(offset, length) {
      const out = Buffer.allocUnsafe(length);
      source.readInto(out, 0, offset, length);
      return out;
    },
    readInto(into, at, position, length) {
      let done = 0;
      while (done < length) {
        let n: number;
        try {
          n = fs.readSync(fd, into, at + done, length - done, position + done);
        } catch (e) {
          throw fwupError('io', file, `cannot read bytes ${position}..${position + length}: ${e instanceof Error ? e.message : String(e)}`, e);
        }
        if (n === 0) throw fwupError('io', file, `unexpected end of file at byte ${position + done} (the archive changed while being read?)`);
        done += n;
      }
    },
    range: (offset, length) => new FileBytes(source, offset, length),
  };
  return source;
}
