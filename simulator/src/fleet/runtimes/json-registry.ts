import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * A small JSON array file under `$VFLEET_HOME/run` that records what a runtime made (namespace
 * slots, loop devices), so a later `vfleet down` finds it even after a crash. Writes go through a
 * temporary file of the writer's own and a rename; updates to one file are serialised within the
 * process, so devices starting and stopping at once never lose each other's entries (another
 * process writing the same file at once can still replace an update, never fail it).
 */
export interface JsonRegistry<T> {
  read(): T[];
  update(change: (entries: T[]) => T[]): Promise<void>;
}

const tails = new Map<string, Promise<unknown>>();
let writes = 0;

export function jsonRegistry<T>(file: string, isEntry: (v: unknown) => v is T = (v): v is T => v !== null && typeof v === 'object'): JsonRegistry<T> {
  const read = (): T[] => {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
    } catch {
      return []; // absent or unreadable: nothing recorded
    }
  };
  const write = (entries: T[]): void => {
    mkdirSync(dirname(file), { recursive: true });
    // a name of this write's own: another process (vfleet down, a second supervisor) may be writing the same file
    const tmp = `${file}.${process.pid}.${threadId}.${++writes}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(entries, null, 1));
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  };
  return {
    read,
    update(change) {
      const next = (tails.get(file) ?? Promise.resolve()).then(() => write(change(read())));
      tails.set(file, next.catch(() => undefined));
      return next;
    },
  };
}
