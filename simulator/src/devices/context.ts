import { readFileSync } from 'node:fs';
import {
  VfleetError,
  abLayout,
  encodeBootHeader,
  encodeUbootEnv,
  formatFwEnvConfig,
  loadSigner,
  parseCertificate,
  parseTrustedKey,
} from '@vfleet/core';
import { abBootVars, installedOs, installedStateVars } from '../product/installed-state.js';
import { loadProduct, targetsFor } from '../product/product.js';
import { workspacePaths } from '../workspace/home.js';
import { readWorkspace } from '../workspace/load.js';
import { mustReadWorkspaceText } from '../workspace/read-text.js';
import { peridioJson } from './templates.js';
import { checkTarget, type EnvMode } from './spec.js';
import type { DeviceContext, GenerationPlan, TargetFiles } from './write-device.js';

export const ENV_SIZE = 0x20000;

/** The hardware revision generated A/B boards report in /etc/hwrevision (a .swu's default hardware-compatibility). */
export const DEVICE_HW_REVISION = '1.0';

/** Serializable options from which each worker rebuilds the same context. */
export interface ContextOptions {
  home: string;
  out: string;
  cohort: string;
  env: EnvMode;
  diskBytes: number;
  force: boolean;
  deviceApi?: string;
  deviceApiCa?: string;
}

/** Loads the workspace keys and precomputes every per-target file once. */
export function buildContext(opts: ContextOptions): DeviceContext {
  const ws = readWorkspace(opts.home);
  const product = loadProduct(ws.product);
  if (!product.cohorts.includes(opts.cohort)) {
    throw new VfleetError('VFLEET_USAGE', `--cohort ${opts.cohort}: product ${product.product} has cohorts ${product.cohorts.join(', ')}`);
  }
  if (opts.env === 'disk' && opts.diskBytes === 0) {
    throw new VfleetError('VFLEET_USAGE', '--env disk needs a disk image (--disk-size must not be 0)');
  }
  const paths = workspacePaths(opts.home);
  const fromWorkspace = (file: string) => mustReadWorkspaceText(file, 'run `vfleet init`');
  const issuer = {
    certPem: fromWorkspace(paths.intermediateCert(product.product, opts.cohort)),
    keyPem: fromWorkspace(paths.intermediateKey(product.product, opts.cohort)),
  };
  const signingPem = fromWorkspace(paths.signingPublicKey(opts.cohort));
  const trustedSigningKey = parseTrustedKey(signingPem, paths.signingPublicKey(opts.cohort)).toString('base64');
  let deviceApiCaPem: string | undefined;
  if (opts.deviceApiCa !== undefined) {
    try {
      deviceApiCaPem = readFileSync(opts.deviceApiCa, 'utf8');
    } catch (cause) {
      throw new VfleetError('VFLEET_USAGE', `--device-api-ca ${opts.deviceApiCa}: cannot read: ${(cause as Error).message}`, { cause });
    }
    parseCertificate(deviceApiCaPem, `--device-api-ca ${opts.deviceApiCa}`);
  }
  const envCopies =
    opts.env === 'disk'
      ? abLayout({ sizeBytes: opts.diskBytes, envRedundant: true }).env.map((e) => ({ path: '/etc/peridiod/disk.img', offset: e.offset, size: e.size }))
      : [{ path: '/etc/peridiod/uboot.env', offset: 0, size: ENV_SIZE }];
  const fwEnvConfig = formatFwEnvConfig({ copies: envCopies });

  const cache = new Map<string, TargetFiles>();
  const perTarget = (target: string) => {
    let files = cache.get(target);
    if (!files) {
      const targets = targetsFor(product, target);
      const vars = installedStateVars(product, ws.organizationUuid, targets);
      // With a disk the device is an A/B board: slot a holds the installed OS (its boot header).
      const os = opts.diskBytes > 0 ? installedOs(product, targets) ?? { name: `${product.product}-os`, version: '0.0.0' } : undefined;
      if (os) for (const [k, v] of abBootVars(os)) vars.set(k, v);
      const slotHeader = os ? encodeBootHeader({ name: os.name, version: os.version, health: 'ok', platform: 'vfleet', architecture: target }) : undefined;
      const envBlocks =
        opts.env === 'disk'
          ? [encodeUbootEnv(vars, { size: ENV_SIZE, redundant: true, flag: 1 }), encodeUbootEnv(vars, { size: ENV_SIZE, redundant: true, flag: 0 })]
          : [encodeUbootEnv(vars, { size: ENV_SIZE, pad: 0x00 })];
      const json = peridioJson({
        targets,
        trustedSigningKey,
        ...(opts.deviceApi === undefined ? {} : { deviceApiUrl: opts.deviceApi }),
        ...(deviceApiCaPem === undefined ? {} : { deviceApiCertificatePath: '/etc/peridiod/device-api-ca.pem' }),
        ...(opts.diskBytes > 0 ? { fwupDevpath: '/etc/peridiod/disk.img' } : {}),
      });
      files = { peridioJson: json, fwEnvConfig, envBlocks, ...(slotHeader ? { slotHeader } : {}) };
      cache.set(target, files);
    }
    return files;
  };
  // A/B boards verify .swu images against the workspace root CA and name their board revision
  const swupdate = opts.diskBytes > 0 ? { caPem: fromWorkspace(paths.rootCert), hwrevision: `${product.product} ${DEVICE_HW_REVISION}\n` } : undefined;
  return {
    out: opts.out,
    issuer,
    ...(swupdate === undefined ? {} : { swupdate }),
    env: opts.env,
    diskBytes: opts.diskBytes,
    force: opts.force,
    perTarget,
    ...(deviceApiCaPem === undefined ? {} : { deviceApiCaPem }),
  };
}

/**
 * Resolves `ctx` for a batch as plain data a worker thread can take: the issuer loaded once, and the
 * files of each target in `targets` (or the error that target's devices will report).
 */
export function generationPlan(ctx: DeviceContext, targets: Iterable<string>, now: Date): GenerationPlan {
  const files: GenerationPlan['targets'] = new Map();
  for (const target of targets) {
    if (files.has(target)) continue;
    try {
      checkTarget(target, 'device spec');
      files.set(target, ctx.perTarget(target));
    } catch (e) {
      files.set(target, { error: (e as Error).message });
    }
  }
  return {
    out: ctx.out,
    signer: loadSigner(ctx.issuer),
    env: ctx.env,
    diskBytes: ctx.diskBytes,
    force: ctx.force,
    targets: files,
    ...(ctx.deviceApiCaPem === undefined ? {} : { deviceApiCaPem: ctx.deviceApiCaPem }),
    ...(ctx.swupdate === undefined ? {} : { swupdate: ctx.swupdate }),
    now: now.getTime(),
  };
}
