import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { readDeviceMeta } from './device-files.js';
import type { DeviceMeta } from './spec.js';

export interface ListedDevice {
  dir: string;
  meta: DeviceMeta;
  /** Bytes actually allocated on disk by the directory's files. */
  allocatedBytes: number;
}

function allocated(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    // links are counted as themselves, never followed (one may point anywhere, or nowhere)
    total += entry.isDirectory() ? allocated(p) : lstatSync(p).blocks * 512;
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

/** Removes the named vfleet device directories (or all of them); refuses ids that are not vfleet devices. */
export function removeDevices(out: string, ids: string[] | 'all'): string[] {
  const known = new Map(listDevices(out).map((d) => [d.meta.id, d.dir]));
  const targets = ids === 'all' ? [...known.keys()] : ids;
  const unknown = targets.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new VfleetError('VFLEET_USAGE', `${out}: no vfleet device named ${unknown.join(', ')}`);
  }
  for (const id of targets) rmSync(known.get(id) as string, { recursive: true, force: true });
  return targets;
}
