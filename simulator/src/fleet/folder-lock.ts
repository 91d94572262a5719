// One fleet per device folder: two fleets over the same folder would run two agents per device,
// writing the same env and kicking each other off the backend. A fleet holds `<folder>/.vfleet-lock`
// (pid, host, a token) while it lives; a lock whose process is gone is taken over.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { readDeviceText } from '../devices/device-files.js';
import { processAlive as alive } from '../devices/process-alive.js';

interface LockRecord {
  pid: number;
  host: string;
  token: string;
  /** Who holds it, for the message another fleet gets (e.g. the supervisor's home). */
  owner: string;
}

export const LOCK_NAME = '.vfleet-lock';

export interface FolderLock {
  release(): void;
}

/** Tokens of the locks this process holds. */
const held = new Set<string>();

function readLock(folder: string): LockRecord | undefined {
  try {
    const value = JSON.parse(readDeviceText(folder, LOCK_NAME, 4096) ?? 'null') as Partial<LockRecord> | null;
    if (typeof value?.pid !== 'number' || typeof value.host !== 'string' || typeof value.token !== 'string') return undefined;
    return { pid: value.pid, host: value.host, token: value.token, owner: typeof value.owner === 'string' ? value.owner : '' };
  } catch {
    return undefined;
  }
}

/** Whether the lock still belongs to a live fleet (as far as this host can tell). */
function live(lock: LockRecord): boolean {
  if (lock.host !== hostname()) return true;
  if (lock.pid === process.pid) return held.has(lock.token);
  return alive(lock.pid);
}

/**
 * Takes the device folder for one fleet, or throws naming who holds it. `owner` says who asks
 * (shown to a fleet that finds the folder taken). release() gives it back (idempotent).
 */
export function lockDeviceFolder(folder: string, owner: string): FolderLock {
  fs.mkdirSync(folder, { recursive: true });
  const file = join(folder, LOCK_NAME);
  const record: LockRecord = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), owner };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
      try {
        fs.writeFileSync(fd, `${JSON.stringify(record)}\n`);
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        throw new VfleetError('VFLEET_WORKSPACE', `${file}: cannot take the device folder for this fleet: ${(e as Error).message}`, { cause: e });
      }
    }
    const current = readLock(folder);
    if (current !== undefined && live(current)) {
      const who = current.owner === '' ? '' : ` (${current.owner})`;
      throw new VfleetError(
        'VFLEET_WORKSPACE',
        `${folder} is in use by another fleet${who}, process ${current.pid} on ${current.host}: one fleet per device folder (stop that one, e.g. vfleet down, or remove ${file} if it is stale)`,
      );
    }
    // left by a fleet that is gone (or unreadable): taken over
    fs.rmSync(file, { force: true });
  }
  held.add(record.token);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      held.delete(record.token);
      if (readLock(folder)?.token === record.token) fs.rmSync(file, { force: true });
    },
  };
}
