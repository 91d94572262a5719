import type { DevicePaths } from '../../types.js';
import { join } from 'node:path';

/** DESIGN "Device filesystem": /etc/peridiod/x → <dir>/x, any other /p → <dir>/root/p. */
export function devicePaths(dir: string): DevicePaths {
  return {
    map(devicePath) {
      if (devicePath === '/etc/peridiod' || devicePath.startsWith('/etc/peridiod/')) return join(dir, devicePath.slice('/etc/peridiod'.length));
      return join(dir, 'root', devicePath);
    },
  };
}
