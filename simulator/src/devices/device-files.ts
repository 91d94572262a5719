// Files in a device's directory, as host-side code (the fleet, `devices list`) uses them. Whatever
// runs as the device (root in its container, with the directory mounted) can put symbolic links,
// FIFOs or huge files there; the host must never follow a link out of the directory, block on a
// FIFO or read without bound.
import fs from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { VfleetError } from '@vfleet/core/errors';
import { readRegularFile } from '@vfleet/core/fs/read-regular-file';
import { cutUnits, escapeControls, quoted } from '../agent/connect/log-text.js';
import { checkTags, isDeviceId, isTarget, type DeviceMeta } from './spec.js';

/**
 * Returns `file` if it lies under `deviceDir` and no component from there down to it (itself
 * included, where it exists) is a symbolic link; throws otherwise. The device directory itself
 * may be a link: the user made it, not the device.
 */
export function requireInDevice(deviceDir: string, file: string): string {
  const rel = relative(deviceDir, file);
  if (rel === '') return file;
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new VfleetError('VFLEET_IO', `${file}: refusing a path outside the device directory ${deviceDir}`);
  }
  let at = deviceDir;
  for (const part of rel.split(sep)) {
    at = join(at, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return file;
      throw new VfleetError('VFLEET_IO', `${at}: cannot check it: ${(e as Error).message}`, { cause: e });
    }
    if (st.isSymbolicLink()) throw new VfleetError('VFLEET_IO', `${at}: refusing to follow a symbolic link in the device directory ${deviceDir}`);
  }
  return file;
}

/** Whether `file` under the device directory is a regular file reached through no link. */
export function isPlainFile(deviceDir: string, file: string): boolean {
  try {
    requireInDevice(deviceDir, file);
    return fs.lstatSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Writes `data` to `rel` under the device directory (making its folders), refusing any link on the
 * way and anything but a regular file at the end: a container's root can mknod a node of a host
 * disk in its own directory, which the host must never write. Not truncated before that check.
 * A new file gets `mode` (default 0644); with `mode` given, an existing one gets it too.
 */
export function writeDeviceFile(deviceDir: string, rel: string, data: string, mode?: number): void {
  const file = requireInDevice(deviceDir, join(deviceDir, rel));
  const parent = join(file, '..');
  fs.mkdirSync(parent, { recursive: true });
  // the folders just made (or found) are checked again: a link may have appeared meanwhile
  requireInDevice(deviceDir, file);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for writing would otherwise wait for a reader
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, mode ?? 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new VfleetError('VFLEET_IO', `${file}: refusing to follow a symbolic link in the device directory ${deviceDir}`);
    throw new VfleetError('VFLEET_IO', `${file}: cannot write it: ${(e as Error).message}`, { cause: e });
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new VfleetError('VFLEET_IO', `${file}: refusing to write it: not a regular file`);
    // before the data: a file a secret goes into is never readable by others with it
    if (mode !== undefined) fs.fchmodSync(fd, mode);
    fs.ftruncateSync(fd, 0);
    fs.writeFileSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes `rel` (and its parents) under the device directory, refusing any link on the way. */
export function mkdirInDevice(deviceDir: string, rel: string): string {
  const dir = requireInDevice(deviceDir, join(deviceDir, rel));
  fs.mkdirSync(dir, { recursive: true });
  return requireInDevice(deviceDir, dir);
}

/**
 * The text of a regular file of the device directory, at most `maxBytes` long; undefined when it
 * is missing. Throws for a link, a FIFO, a device or a bigger file, without blocking.
 */
export function readDeviceText(deviceDir: string, rel: string, maxBytes: number): string | undefined {
  const file = requireInDevice(deviceDir, join(deviceDir, rel));
  const r = readRegularFile(file, maxBytes, { noFollow: true });
  if (r.status === 'ok') return r.bytes.toString('utf8');
  if (r.status === 'missing') return undefined;
  if (r.status === 'link') throw new VfleetError('VFLEET_IO', `${file}: refusing to follow a symbolic link in the device directory ${deviceDir}`);
  if (r.status === 'failed') throw new VfleetError('VFLEET_IO', `${file}: cannot read it: ${r.error.message}`, { cause: r.error });
  const why = r.status === 'not-regular' ? 'not a regular file' : r.size === undefined ? `more than ${maxBytes} bytes` : `${r.size} bytes, more than ${maxBytes}`;
  throw new VfleetError('VFLEET_IO', `${file}: refusing to read it: ${why}`);
}

/** Longest vfleet.json read: a few hundred bytes in practice (100 tags of 128 characters fit). */
const MAX_META_BYTES = 64 * 1024;

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What a device directory's vfleet.json holds: a device, or why it is none, and whether vfleet surely made the folder anyway. */
export type MetaInspection = { meta: DeviceMeta } | { problem: string; ours: boolean };

/** A value from the file for a message: JSON, control characters escaped, cut short. */
const shown = (v: unknown): string => (v === undefined ? 'nothing' : quoted(v, 60));

/** The first field that is not what vfleet writes, as `field: expected …, found …`. */
function badField(m: Record<string, unknown>): string | undefined {
  const { cohort, target, tags, env, diskBytes, createdAt } = m;
  const found = (v: unknown): string => `, found ${shown(v)}`;
  if (typeof cohort !== 'string' || cohort === '' || cohort.length > 128 || CONTROL.test(cohort)) {
    return `cohort: expected a non-empty string of at most 128 characters without control characters${found(cohort)}`;
  }
  if (!isTarget(target)) return `target: expected a target such as arm64-v8 (1 to 64 letters, digits, '.', '_', '+' or '-', starting with a letter or digit)${found(target)}`;
  if (!isStringArray(tags)) return `tags: expected an array of strings${found(tags)}`;
  try {
    checkTags(tags, 'tags');
  } catch (e) {
    return (e as Error).message;
  }
  if (env !== 'file' && env !== 'disk') return `env: expected "file" or "disk"${found(env)}`;
  if (!Number.isSafeInteger(diskBytes) || (diskBytes as number) < 0) return `diskBytes: expected a whole number of bytes, 0 or more${found(diskBytes)}`;
  if (typeof createdAt !== 'string' || CONTROL.test(createdAt)) return `createdAt: expected a string without control characters${found(createdAt)}`;
  return undefined;
}

/**
 * The device's vfleet.json if it is one vfleet wrote for device `id` (the directory's name), else
 * one line naming the file and what is wrong: missing, unreadable, a link, not JSON, or the first
 * field not of that shape. The device can rewrite the file, so every field is held to what vfleet
 * writes: its values reach terminals (`devices list`) and the fleet's views. `ours` when the file
 * still says vfleet made this folder for this device (generator, and an id that is the folder's).
 */
export function inspectDeviceMeta(deviceDir: string, id: string): MetaInspection {
  const file = join(deviceDir, 'vfleet.json');
  // the folder's name and the file's text may hold control characters: none reaches a terminal
  const damaged = (what: string, ours = false): MetaInspection => ({ problem: escapeControls(`${file}: ${what}`), ours });
  let value: unknown;
  try {
    const text = readDeviceText(deviceDir, 'vfleet.json', MAX_META_BYTES);
    if (text === undefined) return damaged('missing');
    value = JSON.parse(text);
  } catch (e) {
    if (e instanceof SyntaxError) {
      // V8's message quotes the text around the fault
      const why = escapeControls(e.message);
      return damaged(`not valid JSON (${why.length > 100 ? `${cutUnits(why, 100)}…` : why})`);
    }
    return { problem: escapeControls((e as Error).message), ours: false };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return damaged(`expected a JSON object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`);
  }
  const m = value as Record<string, unknown>;
  if (m['generator'] !== 'vfleet') return damaged(`generator: expected "vfleet", found ${shown(m['generator'])}`);
  if (m['id'] !== id) return damaged(`id: expected ${shown(id)} (the folder's name), found ${shown(m['id'])}`);
  if (!isDeviceId(id)) return damaged(`id: ${shown(id)} is not a device id vfleet makes (1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit)`);
  const bad = badField(m);
  return bad === undefined ? { meta: value as DeviceMeta } : damaged(bad, true);
}

/** The device's vfleet.json if it is one vfleet wrote for device `id`; undefined for anything else (see inspectDeviceMeta). */
export function readDeviceMeta(deviceDir: string, id: string): DeviceMeta | undefined {
  const r = inspectDeviceMeta(deviceDir, id);
  return 'meta' in r ? r.meta : undefined;
}
