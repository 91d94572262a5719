import { join } from 'node:path';
import { readUbootEnvFromConfig } from '@vfleet/core';
import { createDevicePaths } from '../agent/connect/device-paths.js';

/**
 * Where a device's U-Boot env lives as seen from the host: its `fw_env.config` and the agent's own
 * path mapping (so `/etc/peridiod/...` in the config names the file in the device directory).
 */
export function deviceEnvConfig(deviceDir: string): { config: string; resolvePath: (p: string) => string } {
  return { config: join(deviceDir, 'fw_env.config'), resolvePath: createDevicePaths({ root: deviceDir, mode: 'mapped' }).map };
}

/** The device's current U-Boot env variables, read the way its agent reads them. */
export function readDeviceEnv(deviceDir: string): Map<string, string> {
  const { config, resolvePath } = deviceEnvConfig(deviceDir);
  return readUbootEnvFromConfig(config, { resolvePath }).vars;
}
