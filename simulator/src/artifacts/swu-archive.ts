// A vfleet OS image packaged as a CMS-signed .swu for the real swupdate (format notes: SWU.md).
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VfleetError, abLayout, createOsImage } from '@vfleet/core';
import { cpioChecksum, cpioTrailer, encodeCpioHeader, pad4 } from './swu-cpio.js';
import { encodeSwDescription, type SwuSlot, type SwuSlotImage } from './swu-description.js';
import { SWU_DEVICE_DISK, SWU_SOFTWARE_SET } from './swu-fit.js';
import { cmsSign, type CmsSigner } from './swu-sign.js';
import { DEVICE_HW_REVISION } from '../devices/context.js';
import type { OsImageOptions } from './os-archive.js';

export const SWU_IMAGE_NAME = 'rootfs.img';
/** The revision generated A/B boards write to /etc/hwrevision, so a default .swu fits them. */
export const DEFAULT_HW_COMPAT = [DEVICE_HW_REVISION] as const;

export interface SwuEntry {
  name: string;
  size: number;
  /** The entry's bytes; called twice for streamed entries (checksum pass, then the write). */
  data: () => Readable | Iterable<Buffer> | AsyncIterable<Buffer>;
}

async function* chunksOf(source: Readable | Iterable<Buffer> | AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer>) yield chunk;
}

/** Writes `entries` (sw-description first, then its .sig, then the images) as a cpio "crc" archive at `out`. */
export async function writeSwu(out: string, entries: readonly SwuEntry[], signal?: AbortSignal): Promise<void> {
  const sums: number[] = [];
  for (const entry of entries) {
    let sum = 0;
    let length = 0;
    for await (const chunk of chunksOf(entry.data())) {
      sum = cpioChecksum(chunk, sum);
      length += chunk.length;
    }
    if (length !== entry.size) throw new VfleetError('VFLEET_USAGE', `.swu entry ${entry.name}: ${length} bytes, expected ${entry.size}`);
    sums.push(sum);
  }
  async function* archive(): AsyncGenerator<Buffer> {
    for (const [i, entry] of entries.entries()) {
      yield encodeCpioHeader({ name: entry.name, size: entry.size, checksum: sums[i] as number, ino: i + 1 });
      yield* chunksOf(entry.data());
      yield Buffer.alloc(pad4(entry.size));
    }
    yield cpioTrailer();
  }
  const partial = `${out}.partial-${randomUUID().slice(0, 8)}`;
  try {
    await pipeline(archive(), createWriteStream(partial, { mode: 0o644 }), signal === undefined ? {} : { signal });
    await rename(partial, out);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}

export interface OsSwuOptions extends OsImageOptions {
  /** Hardware revisions accepted; default ["1.0"]. */
  hardwareCompatibility?: readonly string[];
  signer: CmsSigner;
  out: string;
  signal?: AbortSignal;
}

export interface OsSwuResult {
  out: string;
  uuid: string;
  description: string;
  imageSha256: string;
}

/**
 * selections stable,a / stable,b raw-write the image into that slot of the vfleet A/B disk and set
 * the env exactly as the fwup archive's upgrade.a / upgrade.b do (core/src/fwup/ab-tasks.ts).
 */
export async function buildOsSwu(opts: OsSwuOptions): Promise<OsSwuResult> {
  const layout = abLayout({ sizeBytes: opts.diskBytes, envRedundant: true });
  if (opts.size > layout.slots.a.size) {
    throw new VfleetError('VFLEET_USAGE', `--size ${opts.size}: larger than a slot of a ${opts.diskBytes}-byte disk (${layout.slots.a.size} bytes)`);
  }
  const uuid = randomUUID();
  const platform = opts.platform ?? 'vfleet';
  const architecture = opts.architecture ?? 'arm64-v8';
  const image = createOsImage({
    meta: {
      name: opts.name, version: opts.version, health: opts.health, uuid, created: new Date().toISOString(),
      ...(opts.platform === undefined ? {} : { platform: opts.platform }),
      ...(opts.architecture === undefined ? {} : { architecture: opts.architecture }),
    },
    size: opts.size,
  });
  const hash = createHash('sha256');
  for await (const chunk of chunksOf(image.stream())) hash.update(chunk);
  const imageSha256 = hash.digest('hex');
  const slot = (s: SwuSlot): SwuSlotImage => ({
    offset: layout.slots[s].offset,
    bootenv: [
      [`${s}.peridio_version`, opts.version],
      [`${s}.peridio_product`, opts.name],
      [`${s}.peridio_uuid`, uuid],
      [`${s}.peridio_platform`, platform],
      [`${s}.peridio_architecture`, architecture],
      ['peridio_active', s],
      ['upgrade_available', '1'],
      ['bootcount', '0'],
    ],
  });
  const description = encodeSwDescription({
    version: opts.version,
    description: `${opts.name} ${opts.version} for the vfleet A/B disk of ${opts.diskBytes} bytes`,
    hardwareCompatibility: opts.hardwareCompatibility ?? DEFAULT_HW_COMPAT,
    device: SWU_DEVICE_DISK,
    filename: SWU_IMAGE_NAME,
    sha256: imageSha256,
    softwareSet: SWU_SOFTWARE_SET,
    slots: { a: slot('a'), b: slot('b') },
  });
  const descriptionBytes = Buffer.from(description, 'utf8');
  const signature = await cmsSign(descriptionBytes, opts.signer, opts.signal);
  await writeSwu(opts.out, [
    { name: 'sw-description', size: descriptionBytes.length, data: () => [descriptionBytes] },
    { name: 'sw-description.sig', size: signature.length, data: () => [signature] },
    { name: SWU_IMAGE_NAME, size: opts.size, data: () => image.stream() },
  ], opts.signal);
  return { out: opts.out, uuid, description, imageSha256 };
}
