import { join } from 'node:path';
import { readUbootEnvFromConfig } from '@vfleet/core';
import { createDevicePaths } from '../agent/connect/device-paths.js';
import { requireInDevice } from './device-files.js';

/**
 * Where a device's U-Boot env lives as seen from the host: its `fw_env.config` and the agent's own
 * path mapping (so `/etc/peridiod/...` in the config names the file in the device directory), with
 * symbolic links in the device directory refused.
 */
export function deviceEnvConfig(deviceDir: string): { config: string; options: { resolvePath: (p: string) => string; noFollow: true } } {
  const map = createDevicePaths({ root: deviceDir, mode: 'mapped' }).map;
  // the host never follows a link the device may have put in its directory
  return { config: join(deviceDir, 'fw_env.config'), options: { resolvePath: (p) => requireInDevice(deviceDir, map(p)), noFollow: true } };
}

/** The device's current U-Boot env variables, read the way its agent reads them. */
export function readDeviceEnv(deviceDir: string): Map<string, string> {
  const { config, options } = deviceEnvConfig(deviceDir);
  return readUbootEnvFromConfig(config, options).vars;
}
