import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_HOST_NAME } from '../types.js';

const HOSTS = `127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\t${BACKEND_HOST_NAME}\n`;

/**
 * The device's own `/etc/hosts` (`<device>/root/etc/hosts` under the path mapping) for runtimes that
 * share the host's network: the backend's name resolves to loopback. Written only when it differs.
 */
export function ensureLoopbackHosts(deviceDir: string): void {
  const dir = join(deviceDir, 'root', 'etc');
  const file = join(dir, 'hosts');
  try {
    if (readFileSync(file, 'utf8') === HOSTS) return;
  } catch {
    // missing: written below
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, HOSTS);
}
