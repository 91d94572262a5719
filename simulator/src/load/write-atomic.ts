import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VfleetError } from '@vfleet/core';

const io = (file: string, what: string, cause: unknown): VfleetError =>
  new VfleetError('VFLEET_IO', `${file}: ${what}${cause === undefined ? '' : `: ${(cause as Error).message}`}`, { cause });

/**
 * Writes `content` to a fresh temp file beside `file` and fsyncs it; returns the temp path for
 * {@link commitTemp}. On any failure the temp file is removed and `file` is untouched.
 */
export function writeTemp(file: string, content: string | Buffer): string {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o644);
  } catch (e) {
    throw io(file, 'cannot create a temp file', e);
  }
  try {
    // a full disk shows as a short write first and ENOSPC only on the next call: loop until every byte is out
    for (let done = 0; done < bytes.length; ) {
      const n = writeSync(fd, bytes, done, bytes.length - done);
      if (n <= 0) throw io(file, `wrote ${done} of ${bytes.length} bytes`, undefined);
      done += n;
    }
    fsyncSync(fd);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // the write's error is the one worth reporting
    }
    rmSync(temp, { force: true });
    throw e instanceof VfleetError ? e : io(file, 'cannot write', e);
  }
  try {
    // close can report a deferred write error (NFS, some FUSE file systems)
    closeSync(fd);
  } catch (e) {
    rmSync(temp, { force: true });
    throw io(file, 'cannot write', e);
  }
  return temp;
}

/** Renames `temp` (from {@link writeTemp}) over `file`; on failure removes `temp`, leaving `file` as it was. */
export function commitTemp(temp: string, file: string): void {
  try {
    renameSync(temp, file);
  } catch (e) {
    rmSync(temp, { force: true });
    throw io(file, 'cannot replace', e);
  }
}

/** Writes `file` so a reader sees the old content or the new, never half: temp file, fsync, rename. */
export function writeFileAtomic(file: string, content: string | Buffer): void {
  commitTemp(writeTemp(file, content), file);
}
