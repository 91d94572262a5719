import { closeSync, constants, ftruncateSync, openSync } from 'node:fs';
import { VfleetError } from '../errors.js';
import { abLayout, type AbLayout } from './ab-layout.js';
import { ioError, requireRegular, writeAll } from './disk-file.js';
import { encodeGpt } from './encode-gpt.js';
import { SECTOR_SIZE } from './gpt-types.js';
import type { GuidSource } from './guid.js';

export interface CreateDiskImageOptions {
  sizeBytes: number;
  /** A layout from `abLayout`; computed from `sizeBytes` and `guids` when absent. */
  layout?: AbLayout;
  guids?: GuidSource;
  /** Replace an existing regular file; anything else that exists is always refused. */
  overwrite?: boolean;
}

/**
 * Creates a sparse GPT image: one ftruncate to the full size, then only the head and tail sectors
 * are written, so a fresh image uses a few dozen KiB of real disk whatever its size.
 */
export function createDiskImage(path: string, options: CreateDiskImageOptions): AbLayout {
  const { sizeBytes, overwrite = false } = options;
  const layout = options.layout ?? abLayout(options.guids ? { sizeBytes, guids: options.guids } : { sizeBytes });
  if (layout.table.totalSectors * SECTOR_SIZE !== sizeBytes) {
    throw new VfleetError(
      'VFLEET_USAGE',
      `${path}: layout is for ${layout.table.totalSectors * SECTOR_SIZE} bytes but sizeBytes is ${sizeBytes}`,
    );
  }
  const { head, tail } = encodeGpt(layout.table);
  const fd = openImage(path, overwrite);
  try {
    if (overwrite) ftruncateSync(fd, 0);
    ftruncateSync(fd, sizeBytes);
    writeNonZeroSectors(fd, head, 0);
    writeNonZeroSectors(fd, tail, sizeBytes - tail.length);
  } catch (e) {
    throw ioError(path, 'write the disk image', e);
  } finally {
    closeSync(fd);
  }
  return layout;
}

const ZERO_SECTOR = Buffer.alloc(SECTOR_SIZE);

/**
 * The file is all zeros after ftruncate, so only sectors holding data are written: the 128-entry
 * arrays are mostly empty, and leaving them as holes saves writes and real disk.
 */
function writeNonZeroSectors(fd: number, data: Buffer, position: number): void {
  let run = -1;
  for (let at = 0; at <= data.length; at += SECTOR_SIZE) {
    const zero = at === data.length || data.compare(ZERO_SECTOR, 0, SECTOR_SIZE, at, at + SECTOR_SIZE) === 0;
    if (!zero && run < 0) run = at;
    if (zero && run >= 0) {
      writeAll(fd, data.subarray(run, at), position + run);
      run = -1;
    }
  }
}

function openImage(path: string, overwrite: boolean): number {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;
  let fd: number;
  try {
    fd = openSync(path, overwrite ? O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK : O_WRONLY | O_CREAT | O_EXCL, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new VfleetError('VFLEET_IO', `${path}: already exists; pass { overwrite: true } to replace a regular file`, {
        cause: e,
      });
    }
    if (code === 'ELOOP') {
      throw new VfleetError('VFLEET_IO', `${path}: is a symbolic link; refusing to overwrite through it`, { cause: e });
    }
    throw ioError(path, 'create the disk image', e);
  }
  if (overwrite) requireRegular(fd, path);
  return fd;
}
