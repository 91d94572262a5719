import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { VfleetError, abLayout, createDeviceIdentity, createDiskImage, writeRange, type IssuerPems } from '@vfleet/core';
import type { DeviceMeta, DeviceSpec, EnvMode } from './spec.js';
import { entrypointSh, preDownSh, preUpSh } from './templates.js';

/** What all devices of one target share: peridio.json, fw_env.config, env block(s), slot a's boot header. */
export interface TargetFiles {
  peridioJson: string;
  fwEnvConfig: string;
  envBlocks: Buffer[];
  slotHeader?: Buffer;
}

/** Everything devices of one generation share; computed once, not per device. */
export interface DeviceContext {
  out: string;
  issuer: IssuerPems;
  env: EnvMode;
  diskBytes: number;
  force: boolean;
  /** Per target: the files every device of that target shares. */
  perTarget: (target: string) => TargetFiles;
  deviceApiCaPem?: string;
  /**
   * A/B boards (devices with a disk) only: swupdate's trust anchor for `.swu` signatures (the
   * workspace root CA, at /etc/peridiod/swupdate-ca.pem) and the board's `/etc/hwrevision` line.
   */
  swupdate?: { caPem: string; hwrevision: string };
}

export type WriteOutcome = 'created' | 'replaced' | 'skipped';

/**
 * Writes one device directory into a temporary sibling and renames it into place, so a failure
 * half-way never leaves a half-written device.
 */
export function writeDevice(ctx: DeviceContext, spec: DeviceSpec, now = new Date()): WriteOutcome {
  const final = join(ctx.out, spec.id);
  const exists = existsSync(final);
  if (exists && !ctx.force) return 'skipped';
  if (exists && !isVfleetDevice(final, spec.id)) {
    throw new VfleetError('VFLEET_DEVICE_EXISTS', `${final} exists and is not a vfleet device directory; refusing to replace it`);
  }
  const tmp = join(ctx.out, `.${spec.id}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(join(tmp, 'hooks'), { recursive: true });
    mkdirSync(join(tmp, 'cache'), { mode: 0o700 });
    const identity = createDeviceIdentity({ deviceId: spec.id, issuer: ctx.issuer, now });
    writeFileSync(join(tmp, 'device-private-key.pem'), identity.keyPem, { mode: 0o600 });
    writeFileSync(join(tmp, 'device-signing-request.pem'), identity.csrPem);
    writeFileSync(join(tmp, 'device-certificate.pem'), identity.certPem);
    const files = ctx.perTarget(spec.target);
    writeFileSync(join(tmp, 'peridio.json'), files.peridioJson);
    writeFileSync(join(tmp, 'fw_env.config'), files.fwEnvConfig);
    writeFileSync(join(tmp, 'entrypoint.sh'), entrypointSh, { mode: 0o755 });
    writeFileSync(join(tmp, 'hooks', 'pre-up.sh'), preUpSh, { mode: 0o755 });
    writeFileSync(join(tmp, 'hooks', 'pre-down.sh'), preDownSh, { mode: 0o755 });
    if (ctx.deviceApiCaPem !== undefined) writeFileSync(join(tmp, 'device-api-ca.pem'), ctx.deviceApiCaPem);
    if (ctx.diskBytes > 0) {
      const disk = join(tmp, 'disk.img');
      const layout = createDiskImage(disk, { sizeBytes: ctx.diskBytes, layout: abLayout({ sizeBytes: ctx.diskBytes, envRedundant: ctx.env === 'disk' }) });
      // only the boot header: the rest of the slot stays a hole, so a fresh device costs no image data
      if (files.slotHeader) writeRange(disk, layout.slots.a.offset, files.slotHeader);
      if (ctx.env === 'disk') {
        files.envBlocks.forEach((block, i) => {
          const at = layout.env[i];
          if (!at) throw new Error(`disk layout has no env copy ${i}`);
          writeRange(disk, at.offset, block);
        });
      }
    }
    if (ctx.swupdate !== undefined && ctx.diskBytes > 0) {
      writeFileSync(join(tmp, 'swupdate-ca.pem'), ctx.swupdate.caPem);
      mkdirSync(join(tmp, 'root', 'etc'), { recursive: true });
      writeFileSync(join(tmp, 'root', 'etc', 'hwrevision'), ctx.swupdate.hwrevision);
    }
    if (ctx.env === 'file') writeSparse(join(tmp, 'uboot.env'), files.envBlocks[0] ?? Buffer.alloc(0));
    const meta: DeviceMeta = { ...spec, generator: 'vfleet', env: ctx.env, diskBytes: ctx.diskBytes, createdAt: now.toISOString() };
    writeFileSync(join(tmp, 'vfleet.json'), JSON.stringify(meta, null, 2) + '\n');
    if (exists) {
      const old = join(ctx.out, `.${spec.id}.old-${randomBytes(4).toString('hex')}`);
      renameSync(final, old);
      renameSync(tmp, final);
      rmSync(old, { recursive: true, force: true });
      return 'replaced';
    }
    renameSync(tmp, final);
    return 'created';
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** `--force` only ever replaces what vfleet made: a directory whose vfleet.json names this device. */
function isVfleetDevice(dir: string, id: string): boolean {
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'vfleet.json'), 'utf8')) as Partial<DeviceMeta>;
    return meta.generator === 'vfleet' && meta.id === id;
  } catch {
    return false;
  }
}

/** Writes up to the last non-zero byte and extends with a hole: the EVK's 0x00-padded env costs one block. */
const dataEnd = new WeakMap<Buffer, number>();

function writeSparse(path: string, block: Buffer): void {
  let end = dataEnd.get(block);
  if (end === undefined) {
    end = block.length;
    while (end > 0 && block[end - 1] === 0) end--;
    dataEnd.set(block, end);
  }
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeSync(fd, block, 0, end, 0);
    ftruncateSync(fd, block.length);
  } finally {
    closeSync(fd);
  }
}
