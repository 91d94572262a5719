import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { customMetadataHash, sha256Hex } from '@vfleet/core';
import { CacheStore } from '../cache/cache-store.js';
import { createDeviceSigner } from '../cache/device-signature.js';
import { binaryFile } from '../cache/layout.js';
import { stampBinaryCached } from '../cache/metadata.js';
import { DEFAULT_DOWNLOAD_TUNING } from '../download/download.js';
import { createHttpFetch } from '../download/fetch-binary.js';
import { BUILTIN_INSTALLERS } from '../installers/resolve-installer.js';
import type { UpdateBinary, UpdateOffer } from '../model.js';
import { captureLog } from '../test-support/capture-log.js';
import { devicePaths } from '../test-support/device-paths.js';
import { deviceKeyPem, removeDir, tempDir, testConfig } from '../test-support/harness.js';
import { createMemoryKv } from '../test-support/memory-kv.js';
import { createKvWriter } from '../kv-writer.js';
import { buildPlan } from './build-plan.js';
import type { PipelineEnv } from './plan.js';

function binary(installer: string, extra: Record<string, unknown> = {}): UpdateBinary {
  const uuid = randomUUID();
  const meta = { peridiod: { installer, installer_opts: installer === 'file' ? { path: '/a', name: `${uuid}.bin` } : {}, ...extra } };
  return {
    index: 0, prn: `prn:1:${randomUUID()}:binary:${uuid}`, uuid, name: installer, version: null, hash: 'ab'.repeat(32), size: 1,
    url: 'http://h/x', target: null, customMetadata: meta, customMetadataHash: customMetadataHash(meta), signatures: [],
  };
}

describe('buildPlan', () => {
  let dir: string;
  let env: PipelineEnv;
  let log: ReturnType<typeof captureLog>;
  beforeEach(async () => {
    dir = tempDir('plan');
    log = captureLog();
    const cache = new CacheStore({ root: dir, encryption: false, signer: createDeviceSigner(deviceKeyPem()), log });
    await cache.init();
    env = {
      config: testConfig({}), kv: createKvWriter(createMemoryKv()), cache, paths: devicePaths(dir), log, requestReboot: () => undefined,
      download: { fetch: createHttpFetch(), tuning: DEFAULT_DOWNLOAD_TUNING, userAgent: 'Peridiod/test' }, toolPath: '',
    };
  });
  afterEach(() => removeDir(dir));

  const offer = (binaries: UpdateBinary[]): UpdateOffer => ({
    via: { kind: 'release', prn: 'r', name: null, version: '2.0.0', versionRequirement: null }, bundlePrn: 'b', binaries,
  });

  it('caches for path-only installers first, then groups parallel installers and splits repeated sequential ones', async () => {
    const [file, deb1, deb2, rpm, cache] = [binary('file'), binary('deb'), binary('deb'), binary('rpm'), binary('cache')];
    const all = [file, deb1, deb2, rpm, cache] as UpdateBinary[];
    const plan = await buildPlan(offer(all), { installed: [], toInstall: all }, env, BUILTIN_INSTALLERS);
    const shape = plan?.stages.map((stage) => stage.map((s) => `${s.kind}:${s.binary.name}${s.kind === 'install' ? `<${s.source}` : ''}`));
    expect(shape).toEqual([
      ['cache:deb', 'cache:deb', 'cache:rpm'],
      ['install:file<uri', 'install:deb<cache'],
      ['install:deb<cache', 'install:rpm<cache', 'install:cache<uri'],
    ]);
    expect(log.messages('info')).toEqual([
      '[Plan] Binary download from uri', '[Plan] Binary not cached, adding cache step', '[Plan] Binary not cached, adding cache step',
      '[Plan] Binary not cached, adding cache step', '[Plan] Binary download from uri',
    ]);
    expect(plan?.reboot).toBe(false);
  });

  it('reads an already-cached binary from the cache, and asks for a reboot when a binary to install needs one', async () => {
    const cached = binary('file', { reboot_required: true });
    const temp = await env.cache.tempPath();
    writeFileSync(temp, 'x');
    await env.cache.importFile(binaryFile(cached), temp, sha256Hex(Buffer.from('x')));
    await stampBinaryCached(env.cache, cached);
    const plan = await buildPlan(offer([cached]), { installed: [], toInstall: [cached] }, env, BUILTIN_INSTALLERS);
    expect(plan?.stages.map((s) => s.map((step) => step.kind === 'install' && step.source))).toEqual([['cache']]);
    expect(log.messages('info')).toEqual(['[Plan] Binary already cached']);
    expect(plan?.reboot).toBe(true);
  });

  it('has no stages when everything is installed, and no reboot for installed binaries', async () => {
    const installed = binary('file', { reboot_required: true });
    const plan = await buildPlan(offer([installed]), { installed: [installed], toInstall: [] }, env, BUILTIN_INSTALLERS);
    expect(plan).toMatchObject({ stages: [], reboot: false, installed: [installed] });
  });
});
