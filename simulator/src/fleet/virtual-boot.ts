import { lstatSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import {
  abLayout,
  applyEnvChanges,
  bootDevice,
  decodeBootHeader,
  readRange,
  readUbootEnvFromConfig,
  updateUbootEnv,
  type BootHeaderMeta,
  type BootResult,
} from '@vfleet/core';
import { VfleetError } from '@vfleet/core/errors';
import { deviceEnvConfig } from '../devices/device-env.js';

/**
 * The orchestrator playing U-Boot before a device's agent starts: reads both slots' boot headers
 * from disk.img and the env named by fw_env.config, runs the virtual bootloader and writes its
 * changes. Devices without a disk boot as they are (undefined).
 */
export function virtualBoot(deviceDir: string): BootResult | undefined {
  const disk = join(deviceDir, 'disk.img');
  let st: Stats;
  try {
    st = lstatSync(disk);
  } catch {
    return undefined;
  }
  // the device could have swapped its disk for a link to any file of the host
  if (!st.isFile()) throw new VfleetError('VFLEET_DISK_INVALID', `${disk}: refusing to boot from it: not a regular file (only disk images vfleet made are used)`);
  const layout = abLayout({ sizeBytes: st.size });
  const header = (slot: 'a' | 'b'): BootHeaderMeta | null => {
    try {
      return decodeBootHeader(readRange(disk, layout.slots[slot].offset, 4096, { noFollow: true }), `${disk} slot ${slot}`);
    } catch {
      return null; // a corrupt header is an unbootable slot
    }
  };
  const { config, options } = deviceEnvConfig(deviceDir);
  const slots = { a: header('a'), b: header('b') };
  const env = readUbootEnvFromConfig(config, options).vars;
  // a disk with no OS in either slot and no active slot in the env was never an A/B board
  if (!slots.a && !slots.b && !env.has('peridio_active')) return undefined;
  const result = bootDevice({ env, slots });
  if (result.changes.size > 0 || result.unset.length > 0) {
    updateUbootEnv(config, (vars) => applyEnvChanges(vars, result), options);
  }
  return result;
}
