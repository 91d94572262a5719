// Test helpers for device directories: the env as the device sees it, and waiting on the fleet.
import { join } from 'node:path';
import { readUbootEnvFromConfig } from '@vfleet/core';
import { createDevicePaths } from '../agent/connect/index.js';

/** The U-Boot env of a device directory, read through the same path mapping the agent uses. */
export function deviceEnv(dir: string): Map<string, string> {
  return readUbootEnvFromConfig(join(dir, 'fw_env.config'), { resolvePath: createDevicePaths({ root: dir, mode: 'mapped' }).map }).vars;
}

/** Polls `what` until true; throws after `ms`. */
export async function until(what: () => boolean, ms = 20_000, everyMs = 50): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
