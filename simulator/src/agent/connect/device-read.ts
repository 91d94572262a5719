// A small device file (config, PEM, hosts) read without blocking: in-process agents share one
// thread and one libuv pool, so a FIFO in one device's directory must not stall every device.
import { readRegularFile, type RegularFileRead } from '@vfleet/core/fs/read-regular-file';
import type { DevicePaths } from '../types.js';
import { mappedDeviceDir } from './device-paths.js';

/** Bigger than any config, certificate bundle or hosts file a device has. */
export const MAX_DEVICE_FILE_BYTES = 1024 * 1024;

/**
 * The device file at `devicePath`: a regular file of at most MAX_DEVICE_FILE_BYTES, never waited on;
 * for a mapped (host) device, a link there is not followed (the device may have put it there).
 */
export function readDeviceFile(paths: DevicePaths, devicePath: string): RegularFileRead {
  return readRegularFile(paths.map(devicePath), MAX_DEVICE_FILE_BYTES, { noFollow: mappedDeviceDir(paths) !== undefined });
}

/** Why a read failed, as Elixir inspects a file error (`:enoent`), so peridiod's log lines keep their shape. */
export function readReason(read: Exclude<RegularFileRead, { status: 'ok' }>): string {
  switch (read.status) {
    case 'missing':
    case 'failed':
      return `:${(read.error.code ?? 'eio').toLowerCase()}`;
    case 'link':
      return ':eloop (a symbolic link, not followed outside a container)';
    case 'not-regular':
      return `:einval (a ${read.kind}, not a regular file)`;
    case 'too-big':
      return `:efbig (more than ${MAX_DEVICE_FILE_BYTES} bytes)`;
  }
}
