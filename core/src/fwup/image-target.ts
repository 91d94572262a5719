import fs from 'node:fs';
import { isVfleetError } from '../errors.js';
import { fwupError } from './fwup-error.js';
import { fileKind } from '../file-kind.js';

/** What an fwup task writes to: a fixed-size byte range that never grows. */
export interface ImageTarget {
  size: number;
  read(offset: number, length: number): Buffer;
  write(offset: number, data: Buffer): void;
  /** Makes written bytes durable; called once after the last write. */
  sync?(): void;
}

export interface ImageFile extends ImageTarget {
  path: string;
  close(): void;
}

function checkRange(name: string, size: number, offset: number, length: number, action: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > size) {
    throw fwupError('image', name, `cannot ${action} bytes ${offset}..${offset + length}: the image is ${size} bytes`);
  }
}

/** An in-memory image over `bytes` (written in place). */
export function bufferImageTarget(bytes: Buffer, name = 'image buffer'): ImageTarget {
  return {
    size: bytes.length,
    read(offset, length) {
      checkRange(name, bytes.length, offset, length, 'read');
      return Buffer.from(bytes.subarray(offset, offset + length));
    },
    write(offset, data) {
      checkRange(name, bytes.length, offset, data.length, 'write');
      data.copy(bytes, offset);
    },
  };
}

function requireRegular(file: string, st: fs.Stats): void {
  if (!st.isFile()) throw fwupError('image', file, `refusing to apply firmware to a ${fileKind(st)}: only regular image files are written`);
}

/** Opens an existing regular file as an ImageTarget; anything else (block devices included) is refused. */
export function openImageFile(file: string): ImageFile {
  const io = (action: string, e: unknown): never => {
    throw fwupError('io', file, `cannot ${action}: ${e instanceof Error ? e.message : String(e)}`, e);
  };
  let fd = -1;
  try {
    requireRegular(file, fs.statSync(file));
    fd = fs.openSync(file, 'r+');
    // Checked again on the descriptor in case the path was swapped between stat and open.
    requireRegular(file, fs.fstatSync(fd));
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    if (isVfleetError(e)) throw e;
    io('open the image', e);
  }
  const size = fs.fstatSync(fd).size;
  return {
    path: file,
    size,
    read(offset, length) {
      checkRange(file, size, offset, length, 'read');
      const out = Buffer.alloc(length);
      let done = 0;
      try {
        while (done < length) {
          const n = fs.readSync(fd, out, done, length - done, offset + done);
          if (n === 0) throw fwupError('image', file, `unexpected end of file at byte ${offset + done}`);
          done += n;
        }
      } catch (e) {
        if (isVfleetError(e)) throw e;
        io(`read bytes ${offset}..${offset + length}`, e);
      }
      return out;
    },
    write(offset, data) {
      checkRange(file, size, offset, data.length, 'write');
      let done = 0;
      try {
        while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, offset + done);
      } catch (e) {
        io(`write bytes ${offset}..${offset + data.length}`, e);
      }
    },
    sync() {
      try {
        fs.fsyncSync(fd);
      } catch (e) {
        io('fsync', e);
      }
    },
    close() {
      fs.closeSync(fd);
    },
  };
}
