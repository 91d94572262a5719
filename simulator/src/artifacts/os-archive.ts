import { randomUUID } from 'node:crypto';
import {
  VfleetError,
  abLayout,
  abUpgradeTasks,
  createFwupArchive,
  createOsImage,
  type BootHealth,
} from '@vfleet/core';

/** The OS image an update package carries, and the disk it is for: shared by the fwup and .swu builders. */
export interface OsImageOptions {
  name: string;
  version: string;
  /** Image size in bytes (boot header + filler); must fit a slot of `diskBytes`' layout. */
  size: number;
  health: BootHealth;
  platform?: string;
  architecture?: string;
  /** The device disk the package targets (its A/B layout gives the slot and env offsets). */
  diskBytes: number;
}

export interface OsArchiveOptions extends OsImageOptions {
  /** fwup private key (base64, fwup's format) to sign meta.conf. */
  signingKey?: string;
}

const BLOCK = 512;

/**
 * A vfleet OS image packaged as an fwup archive in fwup's real format: upgrade.a / upgrade.b write
 * the image into the inactive slot of the vfleet A/B disk and flip the env (redundant pair at 1 MiB).
 */
export function buildOsFwupArchive(opts: OsArchiveOptions): Buffer {
  const layout = abLayout({ sizeBytes: opts.diskBytes, envRedundant: true });
  if (opts.size > layout.slots.a.size) {
    throw new VfleetError('VFLEET_USAGE', `--size ${opts.size}: larger than a slot of a ${opts.diskBytes}-byte disk (${layout.slots.a.size} bytes)`);
  }
  const uuid = randomUUID();
  const image = createOsImage({
    meta: {
      name: opts.name,
      version: opts.version,
      health: opts.health,
      uuid,
      created: new Date().toISOString(),
      ...(opts.platform === undefined ? {} : { platform: opts.platform }),
      ...(opts.architecture === undefined ? {} : { architecture: opts.architecture }),
    },
    size: opts.size,
  });
  const [env0, env1] = layout.env;
  if (!env0 || !env1) throw new Error('A/B layout without a redundant env pair');
  return createFwupArchive({
    meta: { product: opts.name, version: opts.version, platform: opts.platform ?? 'vfleet', architecture: opts.architecture ?? 'arm64-v8', author: 'vfleet' },
    // stored, not deflated: the filler is a keystream that does not compress, and the applier then
    // reads the image straight out of the archive
    resources: [{ name: 'rootfs.img', data: image.read(0, opts.size), compression: 'store' }],
    envs: [{ name: 'uboot-env', blockOffset: env0.offset / BLOCK, blockCount: env0.size / BLOCK, blockOffsetRedund: env1.offset / BLOCK }],
    tasks: abUpgradeTasks({
      slotA: layout.slots.a.offset / BLOCK,
      slotB: layout.slots.b.offset / BLOCK,
      env: 'uboot-env',
      version: opts.version,
      product: opts.name,
      extraVars: { peridio_uuid: uuid, peridio_platform: opts.platform ?? 'vfleet', peridio_architecture: opts.architecture ?? 'arm64-v8' },
    }),
    ...(opts.signingKey === undefined ? {} : { signingKey: opts.signingKey }),
  });
}
