import { lstatSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { lockDeviceFolder, type FolderLock } from '../fleet/folder-lock.js';
import { inspectDeviceMeta } from './device-files.js';
import { leftoverPath, sweepLeftovers } from './leftovers.js';
import { entryAt } from './path-entry.js';
import { removeTree } from './remove-tree.js';
import type { DeviceMeta } from './spec.js';

export interface ListedDevice {
  dir: string;
  meta: DeviceMeta;
  /** Bytes actually allocated on disk by the directory's files. */
  allocatedBytes: number;
}

/** Longest path counted: below it lies only what a device nested there, which no path can name whole. */
const MAX_PATH_BYTES = 3072;

/**
 * Bytes allocated under `dir`, walked with a stack of its own (a device may nest folders thousands
 * deep). What cannot be read is left out: one device's odd folder must not hide the other devices.
 */
function allocated(dir: string): number {
  let total = 0;
  const dirs = [dir];
  for (let at = dirs.pop(); at !== undefined; at = dirs.pop()) {
    let entries;
    try {
      entries = readdirSync(at, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const p = join(at, entry.name);
      if (entry.isDirectory()) {
        if (Buffer.byteLength(p) <= MAX_PATH_BYTES) dirs.push(p);
        continue;
      }
      try {
        // links are counted as themselves, never followed (one may point anywhere, or nowhere)
        total += lstatSync(p).blocks * 512;
      } catch {
        // gone meanwhile
      }
    }
  }
  return total;
}

/**
 * A folder of `out` with a vfleet.json that vfleet cannot use (damaged, rewritten, a link): not
 * listed as a device. Folders without a vfleet.json are not vfleet's and not reported.
 */
export interface DamagedDevice {
  /** The folder's name as it is on disk (print it escaped). */
  name: string;
  dir: string;
  /** One line naming the file and what is wrong with it, control characters escaped. */
  problem: string;
  /** The file still says vfleet made this folder for this device: `rm` removes it and `create --force` replaces it. */
  ours: boolean;
}

export interface DeviceFolder {
  devices: ListedDevice[];
  damaged: DamagedDevice[];
}

/** Device directories made by vfleet (they carry a valid `vfleet.json`); anything else in `out` is ignored. */
export function listDevices(out: string, opts: { withUsage?: boolean } = {}): ListedDevice[] {
  return scanDevices(out, opts).devices;
}

/**
 * The devices of `out` (as listDevices) and the folders whose vfleet.json vfleet cannot use, with
 * why; names starting with '.' and folders without a vfleet.json are ignored.
 */
export function scanDevices(out: string, opts: { withUsage?: boolean } = {}): DeviceFolder {
  let entries: string[];
  try {
    entries = readdirSync(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { devices: [], damaged: [] };
    throw e;
  }
  const folder: DeviceFolder = { devices: [], damaged: [] };
  for (const name of entries.sort()) {
    if (!name.startsWith('.')) inspectFolder(folder, out, name, opts.withUsage ?? false);
  }
  return folder;
}

/** Of the folders `names` in `out`, those that hold a vfleet.json vfleet cannot use (e.g. devices `create` skipped). */
export function findDamagedDevices(out: string, names: readonly string[]): DamagedDevice[] {
  const folder: DeviceFolder = { devices: [], damaged: [] };
  for (const name of names) inspectFolder(folder, out, name, false);
  return folder.damaged;
}

function inspectFolder(folder: DeviceFolder, out: string, name: string, withUsage: boolean): void {
  const dir = join(out, name);
  const r = inspectDeviceMeta(dir, name);
  if ('meta' in r) folder.devices.push({ dir, meta: r.meta, allocatedBytes: withUsage ? allocated(dir) : 0 });
  else if (entryAt(join(dir, 'vfleet.json')) !== undefined) folder.damaged.push({ name, dir, problem: r.problem, ours: r.ours });
}


/** One line for a damaged folder vfleet does not remove: it cannot tell it made it. */
export const leftForUser = (d: DamagedDevice): string => `${d.problem}; vfleet cannot tell it made this folder, so it leaves it for you to delete`;

export interface RemovedDevices {
  removed: string[];
  /** With 'all': the damaged folders vfleet cannot tell it made, left in place. */
  left: DamagedDevice[];
}

/** removeDevices, also returning the damaged folders `'all'` left alone. */
export function removeDevicesWithReport(out: string, ids: string[] | 'all', opts: { lockAs?: string } = {}): RemovedDevices {
  let found = removable(out);
  const lock = opts.lockAs === undefined ? undefined : holdDeviceFolder(out, opts.lockAs);
  try {
    if (lock !== undefined) found = removable(out);
    const { dirs, notOurs } = found;
    const targets = ids === 'all' ? [...dirs.keys()].sort() : [...new Set(ids)];
    const missing = targets.filter((id) => !dirs.has(id));
    if (missing.length > 0) {
      const refused = notOurs.filter((d) => missing.includes(d.name));
      const unknown = missing.filter((id) => !refused.some((d) => d.name === id));
      const lines = refused.map(leftForUser);
      if (unknown.length > 0) lines.unshift(`${out}: no vfleet device named ${unknown.join(', ')}`);
      throw new VfleetError('VFLEET_USAGE', lines.join('\n'));
    }
    for (const id of targets) {
      const aside = leftoverPath(out, id, 'rm');
      renameSync(dirs.get(id) as string, aside);
      removeTree(aside, () => leftoverPath(out, id, 'rm'));
    }
    if (ids === 'all') sweepLeftovers(out);
    return { removed: targets, left: ids === 'all' ? notOurs : [] };
  } finally {
    lock?.release();
  }
}

/**
 * Removes the named vfleet device directories (or all of them, and what killed runs left); refuses
 * ids that are not vfleet devices. A device whose vfleet.json is damaged but still names it as
 * vfleet's is removed too; a folder vfleet cannot tell it made is refused with why. Each directory
 * is renamed aside first, so a removal cut short leaves no half-deleted device behind, only a
 * leftover the next run cleans. `lockAs` takes the folder as a fleet does for the removal, so no
 * running fleet loses its devices from under it.
 */
export function removeDevices(out: string, ids: string[] | 'all', opts: { lockAs?: string } = {}): string[] {
  return removeDevicesWithReport(out, ids, opts).removed;
}

/** The folders `rm` may remove (devices, and damaged ones vfleet surely made) by id, and the damaged ones it may not. */
function removable(out: string): { dirs: Map<string, string>; notOurs: DamagedDevice[] } {
  const { devices, damaged } = scanDevices(out);
  const dirs = new Map(devices.map((d) => [d.meta.id, d.dir]));
  for (const d of damaged) if (d.ours) dirs.set(d.name, d.dir);
  return { dirs, notOurs: damaged.filter((d) => !d.ours) };
}

/**
 * Takes the device folder as a running fleet does (`<out>/.vfleet-lock`), for work that must not
 * happen under a fleet's running devices: replacing them (`--force`) or removing them. Throws
 * naming the fleet that holds it.
 */
export function holdDeviceFolder(out: string, owner: string): FolderLock {
  try {
    mkdirSync(out, { recursive: true });
  } catch (cause) {
    throw new VfleetError('VFLEET_IO', `${out}: cannot make the device folder: ${(cause as Error).message}`, { cause });
  }
  return lockDeviceFolder(out, owner);
}
