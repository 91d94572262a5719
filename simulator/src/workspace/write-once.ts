import { closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { VfleetError } from '@vfleet/core';

/**
 * Creates `path` with `data` only if it does not exist yet, so keys are never overwritten. The
 * bytes go to a temporary sibling first (written and fsynced), which is then linked into place:
 * `path` appears whole or not at all, so a full disk or a crash never leaves a truncated key that
 * later runs would keep. An empty file where `path` should be (what older versions could leave) is
 * replaced. Returns false when the file was already there.
 */
export function writeOnce(path: string, data: string | Buffer, mode = 0o600): boolean {
  const fail = (e: unknown): VfleetError => new VfleetError('VFLEET_IO', `${path}: cannot write it: ${(e as Error).message}`, { cause: e });
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'wx', mode);
    try {
      if (typeof data === 'string') writeSync(fd, data);
      else writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fail(e);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fail(e);
    const there = lstatSync(path);
    if (!there.isFile() || there.size > 0) return false;
    renameSync(tmp, path);
    return true;
  } finally {
    rmSync(tmp, { force: true });
  }
}
