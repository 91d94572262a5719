// What a writer killed half-way leaves in a device folder: `.ID.tmp-*` (a device being written),
// `.ID.old-*` (the device --force was replacing) and `.ID.rm-*` (a device being removed). Each name
// carries the writer's pid, so the next run can tell a dead writer's leftovers from a live one's.
import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { entryAt } from './path-entry.js';
import { processAlive } from './process-alive.js';
import { removeTree } from './remove-tree.js';

export type LeftoverKind = 'tmp' | 'old' | 'rm';

/** An id, the kind, the writer's pid (absent in names older versions wrote) and a random tag. */
const LEFTOVER = /^\.([A-Za-z0-9][A-Za-z0-9._-]{0,63})\.(tmp|old|rm)-(?:(\d{1,10})-)?[0-9a-f]{8}$/;

/** Distinguishes concurrent writers of the same id; not a secret, so no CSPRNG call per device. */
const tag = (): string => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');

/** A fresh leftover-style name for device `id` in `out`, owned by this process. */
export function leftoverPath(out: string, id: string, kind: LeftoverKind): string {
  return join(out, `.${id}.${kind}-${process.pid}-${tag()}`);
}

// this process's own names may belong to a generation still running in it
const alive = (pid: number): boolean => pid === process.pid || processAlive(pid);

export interface Swept {
  /** Devices put back from `.ID.old-*`: a --force replacement killed between its two renames. */
  restored: string[];
  /** Leftovers removed. */
  removed: string[];
}

/**
 * Cleans the leftovers of writers that are gone. A replaced device whose new version never took its
 * name is put back, so a kill at any point of `--force` never loses the device.
 */
export function sweepLeftovers(out: string): Swept {
  const swept: Swept = { restored: [], removed: [] };
  let names: string[];
  try {
    names = readdirSync(out);
  } catch {
    return swept;
  }
  for (const name of names) {
    if (name.charCodeAt(0) !== 0x2e) continue;
    const m = LEFTOVER.exec(name);
    if (m === null) continue;
    const [, id = '', kind, pid] = m;
    if (pid !== undefined && alive(Number(pid))) continue;
    const path = join(out, name);
    if (kind === 'old' && isDirectory(path) && !exists(join(out, id))) {
      try {
        renameSync(path, join(out, id));
        swept.restored.push(id);
        continue;
      } catch {
        // the id was taken meanwhile: this one is an old version after all
      }
    }
    try {
      removeTree(path, () => leftoverPath(out, id, 'rm'));
      swept.removed.push(name);
    } catch {
      // best effort: what cannot be removed now is tried again next time
    }
  }
  return swept;
}

const isDirectory = (path: string): boolean => entryAt(path)?.isDirectory() === true;

const exists = (path: string): boolean => entryAt(path) !== undefined;
