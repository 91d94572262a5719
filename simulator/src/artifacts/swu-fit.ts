// Before swupdate runs: every image a .swu writes into the device's A/B disk must be a raw write that
// lies inside the rootfs partition of the selected slot (GPT of the disk itself), or it is refused.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { VfleetError, readPartitionTable } from '@vfleet/core';
import type { DevicePaths } from '../agent/types.js';
import { readCpioEntries, type CpioEntry } from './swu-cpio.js';
import { isGroup, parseLibconfig, type LcGroup, type LcValue } from './swu-libconfig.js';

/** The device path of the disk of vfleet's A/B devices in every runtime (the device directory is /etc/peridiod). */
export const SWU_DEVICE_DISK = '/etc/peridiod/disk.img';
/** vfleet's software set: selection `<set>,<slot>` writes that slot (SWU.md). */
export const SWU_SOFTWARE_SET = 'stable';
const MAX_DESCRIPTION = 1024 * 1024;

export interface SwuContents {
  entries: CpioEntry[];
  description: string;
}

/** The cpio entries of a .swu and its sw-description (which swupdate requires first). */
export function readSwu(file: string): SwuContents {
  const fd = openSync(file, 'r');
  try {
    const read = (offset: number, length: number): Buffer => {
      const bytes = Buffer.alloc(length);
      if (readSync(fd, bytes, 0, length, offset) !== length) throw new VfleetError('VFLEET_USAGE', `${file}: byte ${offset}: truncated .swu`);
      return bytes;
    };
    const entries = readCpioEntries(read, fstatSync(fd).size, file);
    const first = entries[0];
    if (first?.name !== 'sw-description') throw new VfleetError('VFLEET_USAGE', `${file}: the first cpio entry is ${JSON.stringify(first?.name ?? null)}, not sw-description`);
    if (first.size > MAX_DESCRIPTION) throw new VfleetError('VFLEET_USAGE', `${file}: sw-description is ${first.size} bytes, more than ${MAX_DESCRIPTION}`);
    return { entries, description: read(first.dataOffset, first.size).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

/** swupdate's size notation for `offset`: decimal, 0x hex or octal, then an optional K/M/G (KiB, MiB, GiB). */
export function parseSwuSize(text: string): number | undefined {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)(?:([kKMG])(?:iB|i)?)?$/.exec(text.trim());
  if (!m) return undefined;
  const digits = m[1] as string;
  const base = /^0[xX]/.test(digits) ? Number(digits) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : Number(digits);
  const unit = { k: 1024, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2] ?? ''] ?? 1;
  const n = base * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}

function images(node: LcValue | undefined): LcGroup[] {
  if (!isGroup(node)) return [];
  const list = node['images'];
  return Array.isArray(list) ? list.filter(isGroup) : [];
}

function selected(software: LcGroup, selection: { set: string; mode: string } | undefined): LcGroup[] {
  if (selection === undefined) return images(software);
  const set = software[selection.set];
  const node = isGroup(set) ? set[selection.mode] : undefined;
  if (isGroup(node) && node['ref'] !== undefined) {
    throw new VfleetError('VFLEET_USAGE', `sw-description software.${selection.set}.${selection.mode}: uses a ref link, which vfleet's slot check does not follow; write the selection out`);
  }
  return [...images(software), ...images(node)];
}

/**
 * Refuses a .swu whose selected images would write the device disk anywhere but inside the
 * `rootfs-<mode>` partition (a raw write of the cpio entry's size at its `offset`).
 */
export function checkSwuFitsSlots(file: string, paths: DevicePaths, selection: { set: string; mode: string } | undefined): void {
  const { entries, description } = readSwu(file);
  const root = parseLibconfig(description, `${file}: sw-description`);
  const software = root['software'];
  if (!isGroup(software)) throw new VfleetError('VFLEET_USAGE', `${file}: sw-description has no software group`);
  const disk = paths.map(SWU_DEVICE_DISK);
  const where = selection === undefined ? 'software' : `software.${selection.set}.${selection.mode}`;
  for (const image of selected(software, selection)) {
    const target = [image['device'], image['path']].find((p): p is string => typeof p === 'string' && p.startsWith('/') && paths.map(p) === disk);
    if (target === undefined) continue;
    const name = String(image['filename'] ?? '');
    const refuse = (why: string): never => {
      throw new VfleetError('VFLEET_USAGE', `${file}: ${where} image ${JSON.stringify(name)} → ${target}: ${why}; refused before swupdate ran`);
    };
    if (image['type'] !== 'raw') refuse(`handler ${JSON.stringify(image['type'] ?? null)} on the device disk; only "raw" into a slot is allowed`);
    if (image['compressed'] !== undefined || image['encrypted'] !== undefined) refuse('compressed or encrypted images cannot be bounds-checked');
    const entry = entries.find((e) => e.name === name);
    if (entry === undefined) return refuse('not in the archive');
    const offsetText = image['offset'] ?? '0';
    const offset = parseSwuSize(String(offsetText));
    if (offset === undefined) return refuse(`offset ${JSON.stringify(offsetText)} is not a size`);
    const mode = selection?.mode;
    const { table } = readPartitionTable(disk);
    const partition = table.partitions.find((p) => p.name === `rootfs-${mode}`);
    if (partition === undefined) return refuse(`the disk has no partition rootfs-${String(mode)} for selection ${where}`);
    const start = partition.firstLba * table.sectorSize;
    const end = (partition.lastLba + 1) * table.sectorSize;
    if (offset < start || offset + entry.size > end) {
      refuse(`${entry.size} bytes at offset ${offset} do not fit rootfs-${mode} (bytes ${start}–${end - 1}, ${end - start} bytes)`);
    }
  }
}
