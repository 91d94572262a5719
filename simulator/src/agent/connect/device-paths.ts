// The one place device paths become host paths (DESIGN.md "Device filesystem").
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
