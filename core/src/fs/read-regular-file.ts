// Reads a small file that a device or a user may have replaced with a FIFO, a device node, a directory,
// a symbolic link or a huge file: never blocks, never reads past the bound; callers word each outcome.
import fs from 'node:fs';
import { fileKind } from '../file-kind.js';

/** What readRegularFile found: only `ok` read the file. */
export type RegularFileRead =
  | { status: 'ok'; bytes: Buffer }
  /** Nothing there (ENOENT); `error` is the one open gave, naming the path. */
  | { status: 'missing'; error: NodeJS.ErrnoException }
  /** A symbolic link, refused for `noFollow`. */
  | { status: 'link' }
  /** `kind` as fileKind names it: FIFO, directory, character device, … */
  | { status: 'not-regular'; kind: string }
  /** `size` as fstat gave it; absent when the file held more than its size said (it grew, or it is a /proc file). */
  | { status: 'too-big'; size?: number }
  /** Open, fstat or read failed otherwise. */
  | { status: 'failed'; error: NodeJS.ErrnoException };

/**
 * The bytes of `file` if it is a regular file of at most `maxBytes`; otherwise what it was instead.
 * `noFollow` refuses `file` when it is itself a symbolic link (O_NOFOLLOW); links above it are followed.
 */
export function readRegularFile(file: string, maxBytes: number, opts?: { noFollow?: false }): Exclude<RegularFileRead, { status: 'link' }>;
export function readRegularFile(file: string, maxBytes: number, opts: { noFollow?: boolean }): RegularFileRead;
export function readRegularFile(file: string, maxBytes: number, opts: { noFollow?: boolean } = {}): RegularFileRead {
  const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer would otherwise wait for ever
    fd = fs.openSync(file, O_RDONLY | O_NONBLOCK | (opts.noFollow === true ? O_NOFOLLOW : 0));
  } catch (e) {
    const error = e as NodeJS.ErrnoException;
    if (error.code === 'ENOENT') return { status: 'missing', error };
    return error.code === 'ELOOP' && opts.noFollow === true ? { status: 'link' } : { status: 'failed', error };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { status: 'not-regular', kind: fileKind(st) };
    if (st.size > maxBytes) return { status: 'too-big', size: st.size };
    // to the end, not to st.size: the file may have grown since, and /proc files say 0
    let buf = Buffer.allocUnsafe(st.size + 1);
    for (let n = 0, got = -1; ; n += got) {
      if (got === 0) return { status: 'ok', bytes: buf.subarray(0, n) };
      if (n === buf.length) {
        if (n > maxBytes) return { status: 'too-big' };
        buf = Buffer.concat([buf], Math.min(Math.max(2 * n, 64 * 1024), maxBytes + 1));
      }
      got = fs.readSync(fd, buf, n, buf.length - n, n);
    }
  } catch (e) {
    return { status: 'failed', error: e as NodeJS.ErrnoException };
  } finally {
    fs.closeSync(fd);
  }
}
