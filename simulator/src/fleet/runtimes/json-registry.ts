import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A small JSON array file under `$VFLEET_HOME/run` that records what a runtime made (namespace
 * slots, loop devices), so a later `vfleet down` finds it even after a crash. Writes go through a
 * temporary file and a rename; updates to one file are serialised within the process, so devices
 * starting and stopping at once never lose each other's entries.
 */
export interface JsonRegistry<T> {
  read(): T[];
  update(change: (entries: T[]) => T[]): Promise<void>;
}

const tails = new Map<string, Promise<unknown>>();

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
    writeFileSync(`${file}.tmp`, JSON.stringify(entries, null, 1));
    renameSync(`${file}.tmp`, file);
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
