// The one place device paths become host paths (DESIGN.md "Device filesystem").
import { lstat, mkdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { VfleetError } from '@vfleet/core';
import type { DevicePaths } from '../types.js';

export type PathMode = 'container' | 'mapped';

export interface DevicePathsOptions {
  /** The device directory; required when `mode` is 'mapped'. */
  root?: string;
  mode: PathMode;
}

const PERIDIOD_DIR = '/etc/peridiod';

function refuse(devicePath: string, why: string): never {
  throw new VfleetError('VFLEET_CONFIG_INVALID', `device path ${JSON.stringify(devicePath)}: ${why}`);
}

function normalise(devicePath: string): string {
  if (devicePath.includes('\0')) refuse(devicePath, 'contains a NUL byte');
  if (!devicePath.startsWith('/')) refuse(devicePath, 'is not absolute; expected a path starting with "/"');
  return path.posix.normalize(devicePath);
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * container: the path as is (the device's filesystem is real); mapped: `/etc/peridiod/x` →
 * `<root>/x`, any other `/p` → `<root>/root/p`. Relative paths are refused; `..` is resolved
 * lexically first, so the result always stays under root.
 */
export function createDevicePaths(options: DevicePathsOptions): DevicePaths {
  if (options.mode === 'container') return { map: normalise };
  if (options.root === undefined || options.root === '') {
    throw new VfleetError('VFLEET_USAGE', 'device paths: mode "mapped" needs the device directory as root');
  }
  const root = path.resolve(options.root);
  return {
    map(devicePath: string): string {
      const p = normalise(devicePath);
      const inPeridiod = p === PERIDIOD_DIR || p.startsWith(`${PERIDIOD_DIR}/`);
      const host = inPeridiod ? path.join(root, p.slice(PERIDIOD_DIR.length)) : path.join(root, 'root', p);
      if (!isInside(host, root)) refuse(devicePath, `maps to ${host}, outside the device directory ${root}`);
      return host;
    },
  };
}

/** A mapped device's host directory, below which no link is followed; undefined where the device's paths are its own (a container). */
export function mappedDeviceDir(paths: DevicePaths): string | undefined {
  return paths.map('/') === '/' ? undefined : paths.map(PERIDIOD_DIR);
}

function dirRefusal(what: string, host: string, why: string): VfleetError {
  return new VfleetError('VFLEET_IO', `${what}: ${host} ${why}; refusing to write through it`);
}

/** Makes `dir` (a child of a checked directory) unless it exists, then insists it is a real directory. */
async function realDirectory(dir: string, what: string): Promise<void> {
  try {
    await mkdir(dir); // never follows a link at `dir`: an existing link is EEXIST and is caught below
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = await lstat(dir);
  if (stat.isSymbolicLink()) {
    const target = await readlink(dir).catch(() => '?');
    throw dirRefusal(what, dir, `is a symbolic link (to ${target}), which a mapped device may not follow`);
  }
  if (!stat.isDirectory()) throw dirRefusal(what, dir, 'exists and is not a directory');
}

/**
 * Whether `host`, below the directory `base`, is reached through no symbolic link from `base` down
 * (itself included): it resolves to itself. Undefined when it or a folder on the way is missing.
 */
export async function resolvesToItself(base: string, host: string): Promise<boolean | undefined> {
  try {
    const [real, realBase] = await Promise.all([realpath(host), realpath(base)]);
    return real === path.join(realBase, path.relative(base, host));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Makes the host directory `host` below `base` (which the host chose, so a link to it is fine), one
 * component at a time, each a real directory and not a symbolic link. `what` starts any error.
 */
export async function makeDirBelow(base: string, host: string, what: string): Promise<string> {
  if (!isInside(host, base)) throw dirRefusal(what, host, `is outside the device directory ${base}`);
  await mkdir(base, { recursive: true });
  let dir = base;
  for (const part of path.relative(base, host).split(path.sep).filter((p) => p !== '')) {
    dir = path.join(dir, part);
    await realDirectory(dir, what);
  }
  // one more look, after the walk: a component swapped for a link meanwhile shows up here
  const [real, realBase] = await Promise.all([realpath(host), realpath(base)]);
  if (!isInside(real, realBase)) throw dirRefusal(what, host, `resolves to ${real}, outside the device directory ${realBase}`);
  return host;
}

/**
 * Creates the host directory for `devicePath` and returns it. For a mapped device every component
 * below the device directory is made one at a time and must be a real directory, not a symbolic
 * link: the device's links would resolve on the host (an absolute one against the host's `/`), so
 * following one could write outside the device directory. A device whose paths are real (a
 * container) is its own filesystem, links included, as for peridiod. `label` names the option the
 * path came from in errors (`file installer: installer_opts.path`).
 */
export async function makeDeviceDir(paths: DevicePaths, devicePath: string, label: string): Promise<string> {
  const host = paths.map(devicePath);
  const deviceDir = mappedDeviceDir(paths);
  if (deviceDir === undefined) {
    await mkdir(host, { recursive: true });
    return host;
  }
  return makeDirBelow(deviceDir, host, `${label} ${JSON.stringify(devicePath)}`);
}
