import { readDeviceText, writeDeviceFile } from '../../devices/device-files.js';
import { BACKEND_HOST_NAME } from '../types.js';

const HOSTS = `127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\t${BACKEND_HOST_NAME}\n`;

/**
 * The device's own `/etc/hosts` (`<device>/root/etc/hosts` under the path mapping) for runtimes that
 * share the host's network: the backend's name resolves to loopback. Written only when it differs.
 */
export function ensureLoopbackHosts(deviceDir: string): void {
  let current: string | undefined;
  try {
    current = readDeviceText(deviceDir, 'root/etc/hosts', 64 * 1024);
  } catch {
    // not a regular file we may read: rewritten below, which refuses links
  }
  if (current !== HOSTS) writeDeviceFile(deviceDir, 'root/etc/hosts', HOSTS);
}
