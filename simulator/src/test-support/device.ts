// Test helpers for device directories: the env as the device sees it, and waiting on the fleet.
import { readDeviceEnv } from '../devices/device-env.js';

/** The U-Boot env of a device directory, read through the same path mapping the agent uses. */
export function deviceEnv(dir: string): Map<string, string> {
  return readDeviceEnv(dir);
}

/** Polls `what` until true; throws after `ms`. */
export async function until(what: () => boolean, ms = 20_000, everyMs = 50): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
