import fs from 'node:fs';
import { open as openAsync, type FileHandle } from 'node:fs/promises';
import { VfleetError } from '../errors.js';

function ioError(file: string, action: string, cause: unknown): VfleetError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new VfleetError('VFLEET_IO', `${file}: cannot ${action}: ${reason}`, { cause });
}

/** How a file is opened. */
export interface RangeOptions {
  /**
   * Refuse the file when it is itself a symbolic link (O_NOFOLLOW): for code on the host working
   * in a device's directory, where whatever runs as the device could have planted one.
   */
  noFollow?: boolean;
  /**
   * Makes what was written durable, given the open descriptor (writeRangeAsync only). Default: its
   * fdatasync in libuv's thread pool, where a slow flush holds one of the few threads every file
   * operation of the process shares.
   */
  flush?: (fd: number) => Promise<void>;
}

const noFollowFlag = (opts?: RangeOptions): number => (opts?.noFollow === true ? fs.constants.O_NOFOLLOW : 0);

function openError(file: string, action: string, cause: unknown, opts?: RangeOptions): VfleetError {
  if (opts?.noFollow === true && (cause as { code?: unknown }).code === 'ELOOP') {
    return new VfleetError('VFLEET_IO', `${file}: refusing to ${action}: it is a symbolic link`, { cause });
  }
  return ioError(file, action, cause);
}

/**
 * Opens `file` for reading without blocking (a FIFO would stop the whole process until someone
 * writes to it) and refuses anything but a regular file or a block device (`/dev/zero` never ends).
 */
export function openForReading(file: string, what: string, opts?: RangeOptions): number {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | noFollowFlag(opts));
  } catch (e) {
    throw openError(file, `read ${what}`, e, opts);
  }
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    throw ioError(file, `read ${what}`, e);
  }
  // on the host side (noFollow) only regular files: a device node there may be one a container made of a host disk
  if (!st.isFile() && (opts?.noFollow === true || !st.isBlockDevice())) {
    fs.closeSync(fd);
    throw new VfleetError('VFLEET_IO', `${file}: refusing to read ${what}: not a regular file${opts?.noFollow === true ? '' : ' or block device'}`);
  }
  return fd;
}

function rangeText(offset: number, size: number): string {
  return `0x${offset.toString(16)}..0x${(offset + size).toString(16)}`;
}

/** Reads exactly `size` bytes at `offset` without reading the rest of a (possibly huge) file. */
export function readRange(file: string, offset: number, size: number, opts?: RangeOptions): Buffer {
  const fd = openForReading(file, 'the env', opts);
  try {
    const out = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, out, done, size - done, offset + done);
      if (n === 0) {
        throw new VfleetError('VFLEET_ENV_INVALID', `${file}: env range ${rangeText(offset, size)} runs past the end of the file (${offset + done} bytes)`);
      }
      done += n;
    }
    return out;
  } catch (e) {
    throw e instanceof VfleetError ? e : ioError(file, 'read the env', e);
  } finally {
    fs.closeSync(fd);
  }
}

/** Vouches for a file that is not regular (a block device vfleet attached); the kernel bounds its writes. */
export type AllowDevice = (file: string, st: fs.Stats) => boolean;

function requireRegularFile(file: string, st: fs.Stats, offset: number, size: number, allowDevice?: AllowDevice): void {
  if (!st.isFile() && allowDevice?.(file, st) === true) return;
  if (!st.isFile()) throw new VfleetError('VFLEET_IO', `${file}: refusing to write the env: not a regular file`);
  if (offset + size > st.size) {
    throw new VfleetError('VFLEET_IO', `${file}: refusing to write env range ${rangeText(offset, size)}: the file is only ${st.size} bytes and would grow`);
  }
}

/** Overwrites bytes at `offset` of an existing regular file in place, then fsyncs it. */
export function writeRange(file: string, offset: number, data: Uint8Array, allowDevice?: AllowDevice, opts?: RangeOptions): void {
  let st: fs.Stats;
  try {
    st = opts?.noFollow === true ? fs.lstatSync(file) : fs.statSync(file);
  } catch (e) {
    throw ioError(file, 'write the env', e);
  }
  if (st.isSymbolicLink()) throw new VfleetError('VFLEET_IO', `${file}: refusing to write the env: it is a symbolic link`);
  requireRegularFile(file, st, offset, data.length, allowDevice);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK | noFollowFlag(opts));
  } catch (e) {
    throw openError(file, 'open for writing', e, opts);
  }
  try {
    // Re-checked on the open descriptor in case the path was swapped after the first check.
    requireRegularFile(file, fs.fstatSync(fd), offset, data.length, allowDevice);
    let done = 0;
    while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, offset + done);
    // fdatasync: the env's bytes are what must survive; an in-place rewrite then needs no journal
    // commit, which on ext4 (data=ordered) would also force out every other file's dirty data.
    fs.fdatasyncSync(fd);
  } catch (e) {
    throw e instanceof VfleetError ? e : ioError(file, 'write the env', e);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * `writeRange` with the write and its fdatasync in libuv's thread pool: a process that runs many
 * devices does not stop for one device's flush (on a busy ext4 disk an fdatasync can take tens of ms).
 */
export async function writeRangeAsync(file: string, offset: number, data: Uint8Array, allowDevice?: AllowDevice, opts?: RangeOptions): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await openAsync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK | noFollowFlag(opts));
  } catch (e) {
    throw openError(file, 'open for writing', e, opts);
  }
  try {
    // checked on the open descriptor only: there is no window between a path check and the open
    requireRegularFile(file, await fh.stat(), offset, data.length, allowDevice);
    let done = 0;
    while (done < data.length) done += (await fh.write(data, done, data.length - done, offset + done)).bytesWritten;
    await (opts?.flush === undefined ? fh.datasync() : opts.flush(fh.fd));
  } catch (e) {
    throw e instanceof VfleetError ? e : ioError(file, 'write the env', e);
  } finally {
    await fh.close();
  }
}
