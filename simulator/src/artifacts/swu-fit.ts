// Before swupdate runs: every entry a .swu may write into the device's A/B disk must be a raw write that
// lies inside the rootfs partition of the selected slot (GPT of the disk itself), or it is refused. For a
// device mapped onto the host (swupdate runs there as root) nothing but such raw writes and env settings
// is let through: no files, scripts, partitioners, Lua or other devices.
import { closeSync, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { VfleetError, readPartitionTable } from '@vfleet/core';
import type { DevicePaths } from '../agent/types.js';
import { ownRoot } from '../agent/update/installers/installer-opts.js';
import { readCpioEntries, type CpioEntry } from './swu-cpio.js';
import { isGroup, parseLibconfig, type LcGroup, type LcValue } from './swu-libconfig.js';

/** The device path of the disk of vfleet's A/B devices in every runtime (the device directory is /etc/peridiod). */
export const SWU_DEVICE_DISK = '/etc/peridiod/disk.img';
/** vfleet's software set: selection `<set>,<slot>` writes that slot (SWU.md). */
export const SWU_SOFTWARE_SET = 'stable';
const MAX_DESCRIPTION = 1024 * 1024;
/** A libconfig setting name: anything else in a selection or board name would be a path (`.`, `/`, `:`, `[n]`) in swupdate's lookup. */
const SETTING_NAME = /^[A-Za-z*][-A-Za-z0-9_*]*$/;

export interface SwuContents {
  entries: CpioEntry[];
  description: string;
}

export interface SwuSelection {
  set: string;
  mode: string;
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

// The settings swupdate 2022.12 reads from a node (parser/parser.c): these only describe the update
const INFO_SETTINGS = new Set(['version', 'description', 'hardware-compatibility', 'bootloader_state_marker', 'bootloader_transaction_marker']);
// and these act on the system where swupdate runs, which for a mapped device is the host
const HOST_REFUSED: Readonly<Record<string, string>> = {
  files: 'files are written to paths of the host',
  scripts: 'scripts run as root on the host',
  partitions: 'partitioners act on devices of the host',
  'embedded-script': 'embedded Lua runs as root on the host',
  output: 'output names a host file for the incoming .swu',
};
// the attributes of a raw image into the slot; anything else (hook, properties, path, filesystem, data, …) is refused on the host
const HOST_IMAGE_ATTRIBUTES = new Set(['filename', 'type', 'device', 'offset', 'sha256', 'name', 'version', 'install-if-different', 'install-if-higher', 'installed-directly']);

interface Checked {
  file: string;
  paths: DevicePaths;
  entries: CpioEntry[];
  mode: string | undefined;
}

function refuse(file: string, where: string, why: string): never {
  throw new VfleetError('VFLEET_USAGE', `${file}: sw-description ${where}: ${why}; refused before swupdate ran`);
}

/** swupdate takes a group where it wants a list (libconfig elements by index), so both are lists of entries. */
function elements(value: LcValue | undefined): LcValue[] {
  if (Array.isArray(value)) return value;
  return isGroup(value) ? Object.values(value) : [];
}

/** swupdate follows `ref` on any node and entry it reads; vfleet does not, so a .swu that has one is refused. */
function refuseRefs(file: string, value: LcValue, where: string): void {
  if (Array.isArray(value)) value.forEach((v, i) => refuseRefs(file, v, `${where}[${i}]`));
  if (!isGroup(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'ref') refuse(file, `${where}.ref`, 'uses a ref link, which vfleet\'s slot check does not follow; write the entries out');
    refuseRefs(file, child, `${where}.${key}`);
  }
}

/**
 * The groups swupdate may take each setting from (find_node_and_path): software.<board>.<set>.<mode>,
 * software.<set>.<mode>, software.<board>, software. Every child group of software counts as a board,
 * since the device's /etc/hwrevision or -H names it; all are checked, not only the first found.
 */
function candidateNodes(software: LcGroup, selection: SwuSelection | undefined): Array<{ where: string; node: LcGroup }> {
  const boards = Object.keys(software).filter((k) => isGroup(software[k]));
  const paths = [
    ...(selection === undefined ? [] : [...boards.map((b) => [b, selection.set, selection.mode]), [selection.set, selection.mode]]),
    ...boards.map((b) => [b]),
    [],
  ];
  const found = new Map<string, LcGroup>();
  for (const path of paths) {
    let node: LcValue | undefined = software;
    for (const name of path) node = isGroup(node) ? node[name] : undefined;
    if (isGroup(node)) found.set(['software', ...path].join('.'), node);
  }
  return [...found].map(([where, node]) => ({ where, node }));
}

/** A raw write of the cpio entry at `offset` that must lie inside rootfs-<mode> of the disk. */
function checkFitsSlot(c: Checked, image: LcGroup, where: string): void {
  const disk = c.paths.map(SWU_DEVICE_DISK);
  if (image['type'] !== 'raw') refuse(c.file, where, `handler ${JSON.stringify(image['type'] ?? null)} on the device disk; only "raw" into a slot is allowed`);
  if (image['compressed'] !== undefined || image['encrypted'] !== undefined) refuse(c.file, where, 'compressed or encrypted images cannot be bounds-checked');
  const name = String(image['filename'] ?? '');
  // swupdate installs every cpio entry of that name, so each must fit
  const sized = c.entries.filter((e) => e.name === name);
  if (sized.length === 0) refuse(c.file, where, 'not in the archive');
  const offsetText = image['offset'] ?? '0';
  const offset = typeof offsetText === 'string' || typeof offsetText === 'number' ? parseSwuSize(String(offsetText)) : undefined;
  if (offset === undefined) return refuse(c.file, where, `offset ${JSON.stringify(offsetText)} is not a size`);
  const { table } = readPartitionTable(disk);
  const partition = table.partitions.find((p) => p.name === `rootfs-${c.mode}`);
  if (partition === undefined) return refuse(c.file, where, `the disk has no partition rootfs-${String(c.mode)} for the selection`);
  const start = partition.firstLba * table.sectorSize;
  const end = (partition.lastLba + 1) * table.sectorSize;
  for (const entry of sized) {
    if (offset < start || offset + entry.size > end) {
      refuse(c.file, where, `${entry.size} bytes at offset ${offset} do not fit rootfs-${c.mode} (bytes ${start}–${end - 1}, ${end - start} bytes)`);
    }
  }
}

/** In a container: entries of images, files and partitions that name the device disk must fit the slot; the rest is the container's. */
function checkDeviceNode(c: Checked, node: LcGroup, where: string): void {
  const disk = c.paths.map(SWU_DEVICE_DISK);
  for (const list of ['images', 'files', 'partitions']) {
    elements(node[list]).forEach((entry, i) => {
      if (!isGroup(entry)) return;
      const target = [entry['device'], entry['path']].find((p): p is string => typeof p === 'string' && p.startsWith('/') && c.paths.map(p) === disk);
      if (target === undefined) return;
      checkFitsSlot(c, entry, `${where}.${list}[${i}]: image ${JSON.stringify(String(entry['filename'] ?? ''))} → ${target}`);
    });
  }
}

/** `{ name, value }` env settings only: a bootloader script (`filename`) or anything else is refused on the host. */
function checkHostBootenv(c: Checked, value: LcValue, where: string): void {
  if (!Array.isArray(value)) refuse(c.file, where, 'is not a list of { name, value } settings');
  value.forEach((entry, i) => {
    const ok = isGroup(entry) && typeof entry['name'] === 'string' && Object.entries(entry).every(([k, v]) => (k === 'name' || k === 'value') && typeof v === 'string');
    if (!ok) refuse(c.file, `${where}[${i}]`, 'only { name = "…"; value = "…"; } env settings are accepted for a device outside a container');
  });
}

/** The entry's place with what it targets, as in `files[0] (path /x)`. */
function label(where: string, entry: LcValue | undefined): string {
  if (!isGroup(entry)) return where;
  const key = ['path', 'device', 'filename'].find((k) => typeof entry[k] === 'string');
  return key === undefined ? where : `${where} (${key} ${String(entry[key])})`;
}

/** On the host: only raw images into the slot, env settings and descriptive settings; anything unclassified is refused. */
function checkHostNode(c: Checked, node: LcGroup, where: string): void {
  for (const [key, value] of Object.entries(node)) {
    const at = `${where}.${key}`;
    const why = HOST_REFUSED[key];
    if (why !== undefined) {
      const first = elements(value)[0];
      refuse(c.file, first === undefined ? at : label(Array.isArray(value) ? `${at}[0]` : at, first), `${why}, which a device outside a container may not do (swupdate runs as root on the host there)`);
    }
    if (key === 'images') checkHostImages(c, value, at);
    else if (key === 'bootenv' || key === 'uboot') checkHostBootenv(c, value, at);
    else if (!INFO_SETTINGS.has(key) && !isGroup(value)) {
      refuse(c.file, at, 'is not a setting vfleet can classify for a device outside a container (swupdate runs as root on the host there)');
    }
  }
}

/** On the host: each image is a raw write of the device disk, with no attribute beyond those of such a write. */
function checkHostImages(c: Checked, value: LcValue, where: string): void {
  if (!Array.isArray(value)) refuse(c.file, where, 'is not a list of images');
  value.forEach((image, i) => {
    const at = label(`${where}[${i}]`, image);
    if (!isGroup(image)) return refuse(c.file, at, 'is not an image group');
    const extra = Object.keys(image).find((k) => !HOST_IMAGE_ATTRIBUTES.has(k));
    if (extra !== undefined) refuse(c.file, at, `attribute ${extra} is not accepted for a device outside a container; only a raw image into the update slot`);
    if (image['device'] !== SWU_DEVICE_DISK) refuse(c.file, at, `only ${SWU_DEVICE_DISK} (the device's disk) may be written from a device outside a container`);
    // swupdate would follow a link out of the device directory (DESIGN: only vfleet's regular files are written)
    if (lstatSync(c.paths.map(SWU_DEVICE_DISK), { throwIfNoEntry: false })?.isFile() !== true) refuse(c.file, at, `${SWU_DEVICE_DISK} is not a regular file of the device`);
    checkFitsSlot(c, image, `${where}[${i}]: image ${JSON.stringify(String(image['filename'] ?? ''))} → ${SWU_DEVICE_DISK}`);
  });
}

/**
 * Refuses a .swu whose selected entries would write the device disk anywhere but inside the
 * `rootfs-<mode>` partition (a raw write of the cpio entry's size at its `offset`); for a device mapped
 * onto the host, also any entry that is not such a write or an env setting. `board` is the board name
 * swupdate will use (-H or /etc/hwrevision), which like the selection must be a plain setting name.
 */
export function checkSwuFitsSlots(file: string, paths: DevicePaths, selection: SwuSelection | undefined, board?: string): void {
  const { entries, description } = readSwu(file);
  const root = parseLibconfig(description, `${file}: sw-description`);
  const software = root['software'];
  if (!isGroup(software)) throw new VfleetError('VFLEET_USAGE', `${file}: sw-description has no software group`);
  const names: Array<[string, string | undefined]> = [['software set', selection?.set], ['mode', selection?.mode], ['board name', board]];
  for (const [what, name] of names) {
    if (name !== undefined && !SETTING_NAME.test(name)) {
      throw new VfleetError('VFLEET_USAGE', `${file}: ${what} ${JSON.stringify(name)} is not a libconfig setting name (letters, digits, "-", "_", "*"), so swupdate would look it up as a path; refused before swupdate ran`);
    }
  }
  refuseRefs(file, software, 'software');
  const checked: Checked = { file, paths, entries, mode: selection?.mode };
  const onHost = !ownRoot(paths);
  for (const { where, node } of candidateNodes(software, selection)) {
    if (onHost) checkHostNode(checked, node, where);
    else checkDeviceNode(checked, node, where);
  }
}
