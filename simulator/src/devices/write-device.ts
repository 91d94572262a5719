// Writes device directories from a generation plan. Loaded by worker threads, so it imports only the
// slim core entry points (no X.509 parser, no product or workspace code): a worker starts in
// milliseconds instead of the ~0.35 s the whole of @vfleet/core costs.
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { abImageTemplate, type ImageRegion } from '@vfleet/core/disk';
import { VfleetError } from '@vfleet/core/errors';
import { identityTemplate, type IdentitySigner } from '@vfleet/core/pki/identity-template';
import type { IssuerPems } from '@vfleet/core';
import { inspectDeviceMeta } from './device-files.js';
import { leftoverPath } from './leftovers.js';
import { removeTree } from './remove-tree.js';
import { checkDeviceId, checkTags, type DeviceMeta, type DeviceSpec, type EnvMode } from './spec.js';
import { entrypointSh, preDownSh, preUpSh } from './templates.js';

/** What all devices of one target share: peridio.json, fw_env.config, env block(s), slot a's boot header. */
export interface TargetFiles {
  peridioJson: string;
  fwEnvConfig: string;
  envBlocks: Uint8Array[];
  slotHeader?: Uint8Array;
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

/**
 * A DeviceContext resolved for one batch, as plain data that can be posted to a worker thread:
 * the issuer loaded, each target's files (or why they cannot be made), and the generation's clock.
 */
export interface GenerationPlan {
  out: string;
  signer: IdentitySigner;
  env: EnvMode;
  diskBytes: number;
  force: boolean;
  targets: Map<string, TargetFiles | { error: string }>;
  deviceApiCaPem?: string;
  swupdate?: { caPem: string; hwrevision: string };
  /** ms since the epoch: every certificate's validity and every vfleet.json's createdAt. */
  now: number;
}

export type WriteOutcome = 'created' | 'replaced' | 'skipped';

export interface GenerateResult {
  created: string[];
  replaced: string[];
  skipped: string[];
  failed: Array<{ id: string; error: string }>;
}

/**
 * Writes the devices whose indices `claim` hands out (until it returns one past the end); a device
 * that fails is reported and the rest carry on. Threads sharing one counter split a batch between them.
 */
export function writeBatch(plan: GenerationPlan, specs: readonly DeviceSpec[], claim: () => number = counter()): GenerateResult {
  const write = deviceWriter(plan);
  const result = emptyResult();
  for (let i = claim(); i < specs.length; i = claim()) writeInto(result, write, specs[i] as DeviceSpec);
  return result;
}

/** Writes one device and records its outcome or error in `result`. */
export function writeInto(result: GenerateResult, write: (spec: DeviceSpec) => WriteOutcome, spec: DeviceSpec): void {
  let outcome: WriteOutcome;
  try {
    outcome = write(spec);
  } catch (e) {
    result.failed.push({ id: spec.id, error: (e as Error).message });
    return;
  }
  result[outcome].push(spec.id);
}

export const emptyResult = (): GenerateResult => ({ created: [], replaced: [], skipped: [], failed: [] });

const counter = (): (() => number) => {
  let next = 0;
  return () => next++;
};

/**
 * Returns a function that writes one device directory into a temporary sibling and renames it into
 * place, so a failure half-way never leaves a half-written device.
 */
export function deviceWriter(plan: GenerationPlan): (spec: DeviceSpec) => WriteOutcome {
  const { out, env, diskBytes, force } = plan;
  const now = new Date(plan.now);
  const createdAt = now.toISOString();
  const identity = identityTemplate({ signer: revive(plan.signer), now });
  const image = diskBytes > 0 ? abImageTemplate({ sizeBytes: diskBytes, envRedundant: env === 'disk' }) : undefined;
  // What goes into each target's disk image besides the GPT: slot a's boot header, the env pair.
  const regions = new Map<string, ImageRegion[]>();
  const regionsFor = (target: string, files: TargetFiles): ImageRegion[] => {
    let r = regions.get(target);
    if (r === undefined && image) {
      r = [];
      // only the boot header: the rest of the slot stays a hole, so a fresh device costs no image data
      if (files.slotHeader) r.push({ offset: image.slots.a.offset, data: files.slotHeader });
      if (env === 'disk') {
        files.envBlocks.forEach((data, i) => {
          const at = image.env[i];
          if (!at) throw new Error(`disk layout has no env copy ${i}`);
          r?.push({ offset: at.offset, data });
        });
      }
      regions.set(target, r);
    }
    return r ?? [];
  };
  const filesFor = (target: string): TargetFiles => {
    const files = plan.targets.get(target);
    if (files === undefined) throw new Error(`no device files were prepared for target ${target}`);
    if ('error' in files) throw new Error(files.error);
    return files;
  };

  // set once a failure means no device can be written in `out` (disk full, read-only): the rest fail at once
  let halted: string | undefined;
  const haltOn = (e: unknown, id: string): void => {
    if (FOLDER_WIDE.some((code) => isErrno(e, code))) halted = `not attempted: writing ${id} in ${out} failed with ${(e as Error).message}`;
  };
  return (spec) => {
    if (halted !== undefined) throw new VfleetError('VFLEET_IO', halted);
    // library callers (fleet add, load runs) hand specs in directly: an id is a directory name
    checkDeviceId(spec.id, 'device spec');
    checkTags(spec.tags, `device spec ${spec.id}`);
    const final = join(out, spec.id);
    const exists = existsSync(final);
    if (exists && !force) return 'skipped';
    const refusal = exists ? refuseToReplace(final, spec.id) : undefined;
    if (refusal !== undefined) throw new VfleetError('VFLEET_DEVICE_EXISTS', refusal);
    const files = filesFor(spec.target);
    const tmp = leftoverPath(out, spec.id, 'tmp');
    const at = (name: string): string => `${tmp}/${name}`;
    try {
      mkdirSync(tmp);
    } catch (e) {
      haltOn(e, spec.id);
      throw e;
    }
    try {
      mkdirSync(at('hooks'));
      mkdirSync(at('cache'), { mode: 0o700 });
      const id = identity(spec.id, 'device id');
      writeFileSync(at('device-private-key.pem'), id.keyPem, { mode: 0o600 });
      writeFileSync(at('device-signing-request.pem'), id.csrPem);
      writeFileSync(at('device-certificate.pem'), id.certPem);
      writeFileSync(at('peridio.json'), files.peridioJson);
      writeFileSync(at('fw_env.config'), files.fwEnvConfig);
      writeFileSync(at('entrypoint.sh'), entrypointSh, { mode: 0o755 });
      writeFileSync(at('hooks/pre-up.sh'), preUpSh, { mode: 0o755 });
      writeFileSync(at('hooks/pre-down.sh'), preDownSh, { mode: 0o755 });
      if (plan.deviceApiCaPem !== undefined) writeFileSync(at('device-api-ca.pem'), plan.deviceApiCaPem);
      if (image) image.create(at('disk.img'), regionsFor(spec.target, files));
      if (plan.swupdate !== undefined && image) {
        writeFileSync(at('swupdate-ca.pem'), plan.swupdate.caPem);
        mkdirSync(at('root'));
        mkdirSync(at('root/etc'));
        writeFileSync(at('root/etc/hwrevision'), plan.swupdate.hwrevision);
      }
      if (env === 'file') writeSparse(at('uboot.env'), files.envBlocks[0] ?? new Uint8Array(0));
      const meta: DeviceMeta = { ...spec, generator: 'vfleet', env, diskBytes, createdAt };
      writeFileSync(at('vfleet.json'), JSON.stringify(meta, null, 2) + '\n');
      if (exists) {
        const old = leftoverPath(out, spec.id, 'old');
        renameSync(final, old);
        renameSync(tmp, final);
        try {
          removeTree(old, () => leftoverPath(out, spec.id, 'rm'));
        } catch {
          // the device is replaced; the next generation in `out` removes what is left of the old one
        }
        return 'replaced';
      }
      try {
        renameSync(tmp, final);
      } catch (e) {
        // another writer (a concurrent `devices create`) made this device since the check above
        if (isErrno(e, 'ENOTEMPTY') || isErrno(e, 'EEXIST')) {
          rmSync(tmp, { recursive: true, force: true });
          return 'skipped';
        }
        throw e;
      }
      return 'created';
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      haltOn(e, spec.id);
      throw e;
    }
  };
}

/** Failures that no other device in the same folder would escape. */
const FOLDER_WIDE = ['ENOSPC', 'EDQUOT', 'EROFS'];

const isErrno = (e: unknown, code: string): boolean => (e as NodeJS.ErrnoException | undefined)?.code === code;

/** Buffers posted to a worker arrive as plain Uint8Arrays. */
function revive(signer: IdentitySigner): IdentitySigner {
  const buf = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));
  return { name: buf(signer.name), keyId: buf(signer.keyId), key: signer.key };
}

/**
 * `--force` only ever replaces what vfleet made: a directory whose vfleet.json names this device
 * (other fields may be damaged). Returns why it refuses `dir`, or undefined.
 */
function refuseToReplace(dir: string, id: string): string | undefined {
  const refusal = `${dir} exists and is not a vfleet device directory; refusing to replace it`;
  // a file (or anything but a folder) standing there needs no further reason
  if (!isDirectory(dir)) return refusal;
  // never through a link, a FIFO or without bound: the directory may hold what a device put there
  const r = inspectDeviceMeta(dir, id);
  return 'meta' in r || r.ours ? undefined : `${refusal}: ${r.problem}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Writes up to the last non-zero byte and extends with a hole: the EVK's 0x00-padded env costs one block. */
const dataEnd = new WeakMap<Uint8Array, number>();

function writeSparse(path: string, block: Uint8Array): void {
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
