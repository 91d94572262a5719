import { closeSync, constants, fstatSync, openSync, readSync, writeSync, type Stats } from 'node:fs';
import { VfleetError } from '../errors.js';
import { fileKind } from '../file-kind.js';


export function ioError(path: string, doing: string, cause: unknown): VfleetError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new VfleetError('VFLEET_IO', `${path}: cannot ${doing}: ${reason}`, { cause });
}

/** Throws unless the open `fd` is a regular file; closes it when throwing. */
export function requireRegular(fd: number, path: string): Stats {
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new VfleetError('VFLEET_IO', `${path}: is a ${fileKind(st)}; only regular image files are accepted here`);
  }
  return st;
}

/** How an image file is opened. */
export interface ImageFileOptions {
  /** Refuse the file when it is itself a symbolic link (host-side code in a device's directory). */
  noFollow?: boolean;
}

/**
 * Opens an existing regular file and passes its fd and size to `use`. Non-blocking open so that
 * a FIFO is refused instead of hanging.
 */
export function withRegularFile<T>(path: string, write: boolean, use: (fd: number, size: number) => T, opts: ImageFileOptions = {}): T {
  let fd: number;
  try {
    fd = openSync(path, (write ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NONBLOCK | (opts.noFollow === true ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    if (opts.noFollow === true && (e as NodeJS.ErrnoException).code === 'ELOOP') throw new VfleetError('VFLEET_IO', `${path}: refusing to open it: it is a symbolic link`, { cause: e });
    throw ioError(path, write ? 'open for writing' : 'open', e);
  }
  const { size } = requireRegular(fd, path);
  try {
    return use(fd, size);
  } catch (e) {
    throw e instanceof VfleetError ? e : ioError(path, write ? 'write' : 'read', e);
  } finally {
    closeSync(fd);
  }
}

function checkRange(path: string, offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new VfleetError(
      'VFLEET_IO',
      `${path}: byte range ${offset}..${offset + length} (length ${length}) is outside the image (0..${size})`,
    );
  }
}

/** Reads up to `length` bytes at `position`; shorter only at the end of the file. */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** Reads exactly `length` bytes at `offset` of a regular image file. */
export function readRange(path: string, offset: number, length: number, opts: ImageFileOptions = {}): Buffer {
  return withRegularFile(path, false, (fd, size) => {
    checkRange(path, offset, length, size);
    const buf = readAt(fd, offset, length);
    if (buf.length < length) {
      throw new VfleetError('VFLEET_IO', `${path}: unexpected end of file at byte ${offset + buf.length}`);
    }
    return buf;
  }, opts);
}

/** Writes `data` at `offset` of a regular image file; never grows the file. */
export function writeRange(path: string, offset: number, data: Uint8Array): void {
  withRegularFile(path, true, (fd, size) => {
    checkRange(path, offset, data.length, size);
    writeAll(fd, data, offset);
  });
}

export function writeAll(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
}
