import { lstatSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { lockDeviceFolder, type FolderLock } from '../fleet/folder-lock.js';
import { readDeviceMeta } from './device-files.js';
import { leftoverPath, sweepLeftovers } from './leftovers.js';
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

/** Device directories made by vfleet (they carry a valid `vfleet.json`); anything else in `out` is ignored. */
export function listDevices(out: string, opts: { withUsage?: boolean } = {}): ListedDevice[] {
  let entries: string[];
  try {
    entries = readdirSync(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const devices: ListedDevice[] = [];
  for (const name of entries.sort()) {
    if (name.startsWith('.')) continue;
    const dir = join(out, name);
    const meta = readDeviceMeta(dir, name);
    if (meta === undefined) continue;
    devices.push({ dir, meta, allocatedBytes: opts.withUsage ? allocated(dir) : 0 });
  }
  return devices;
}

/**
 * Removes the named vfleet device directories (or all of them, and what killed runs left); refuses
 * ids that are not vfleet devices. Each directory is renamed aside first, so a removal cut short
 * leaves no half-deleted device behind, only a leftover the next run cleans. `lockAs` takes the
 * folder as a fleet does for the removal, so no running fleet loses its devices from under it.
 */
export function removeDevices(out: string, ids: string[] | 'all', opts: { lockAs?: string } = {}): string[] {
  let known = new Map(listDevices(out).map((d) => [d.meta.id, d.dir]));
  const lock = opts.lockAs === undefined ? undefined : holdDeviceFolder(out, opts.lockAs);
  try {
    if (lock !== undefined) known = new Map(listDevices(out).map((d) => [d.meta.id, d.dir]));
    const targets = ids === 'all' ? [...known.keys()] : [...new Set(ids)];
    const unknown = targets.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new VfleetError('VFLEET_USAGE', `${out}: no vfleet device named ${unknown.join(', ')}`);
    }
    for (const id of targets) {
      const aside = leftoverPath(out, id, 'rm');
      renameSync(known.get(id) as string, aside);
      removeTree(aside, () => leftoverPath(out, id, 'rm'));
    }
    if (ids === 'all') sweepLeftovers(out);
    return targets;
  } finally {
    lock?.release();
  }
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
