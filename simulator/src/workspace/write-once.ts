import { closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { VfleetError, fileKind } from '@vfleet/core';

/** What commit() found: the file put in place, a regular file there already, or something else there. */
export type Commit = { status: 'created' } | { status: 'exists' } | { status: 'not-a-file'; kind: string };

/** A file written and fsynced beside its final path, not yet in place. */
export interface StagedFile {
  path: string;
  /** Links it into place unless something is there already. */
  commit(): Commit;
  /** Removes the staged copy (idempotent; call it after commit too). */
  discard(): void;
}

/** The staged copies of `path` are named `<path>.tmp-<8 hex>`. */
export const STAGED_SUFFIX = /\.tmp-[0-9a-f]{8}$/;

/**
 * Writes `data` to a temporary sibling of `path` (written and fsynced), to be linked into place by
 * commit(): `path` appears whole or not at all, so a full disk or a crash never leaves a truncated
 * key that later runs would keep.
 */
export function stageOnce(path: string, data: string | Buffer, mode = 0o600): StagedFile {
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
  return {
    path,
    commit() {
      try {
        linkSync(tmp, path);
        return { status: 'created' };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fail(e);
      }
      const there = lstatSync(path);
      if (!there.isFile()) return { status: 'not-a-file', kind: there.isSymbolicLink() ? 'symbolic link' : fileKind(there) };
      // an empty file is what older versions could leave
      if (there.size > 0) return { status: 'exists' };
      renameSync(tmp, path);
      return { status: 'created' };
    },
    discard() {
      rmSync(tmp, { force: true });
    },
  };
}

/**
 * Creates `path` with `data` only if it does not exist yet, so keys are never overwritten; see
 * stageOnce. An empty file where `path` should be is replaced. Returns false when anything was
 * already there (callers that read it back say what is wrong with it).
 */
export function writeOnce(path: string, data: string | Buffer, mode = 0o600): boolean {
  const staged = stageOnce(path, data, mode);
  try {
    return staged.commit().status === 'created';
  } finally {
    staged.discard();
  }
}

/**
 * Commits `staged`: true when it was put in place, false when a regular file is there already. A
 * dangling link or a FIFO there is refused: taken for the file, the key just made would be lost.
 */
export function commitStrictly(staged: StagedFile): boolean {
  const r = staged.commit();
  if (r.status === 'not-a-file') {
    throw new VfleetError('VFLEET_WORKSPACE', `${staged.path}: a ${r.kind} is where this file goes; move it away and run again`);
  }
  return r.status === 'created';
}

/** writeOnce for a file whose absence was just checked: something other than a regular file there is refused (see commitStrictly). */
export function createOnce(path: string, data: string | Buffer, mode = 0o600): boolean {
  const staged = stageOnce(path, data, mode);
  try {
    return commitStrictly(staged);
  } finally {
    staged.discard();
  }
}
