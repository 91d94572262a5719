import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binRecord, createSigningKeyPair } from '@vfleet/core';
import { haveTools, run } from '../../../../core/src/test-support/oracle.js';
import { loadProduct, targetsFor } from '../../product/product.js';
import { bundleBinaries, installedStateVars } from '../../product/installed-state.js';
import { startBinaryHost, type BinaryHost } from './test-support/binary-host.js';
import { findInOrder } from './test-support/capture-log.js';
import { createEnvKv } from './test-support/env-kv.js';
import { fakeApi } from './test-support/fake-api.js';
import { bootDevice, deviceKeyPem, removeDir, tempDir, testConfig } from './test-support/harness.js';
import { bundlePrn, content, manifestItem, ORG, releasePrn, updateBody } from './test-support/offers.js';

const printenv = (configPath: string): Map<string, string> =>
  new Map(run('fw_printenv', ['-c', configPath]).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('EVK canary story r1001 → r1002', () => {
  let dir: string;
  let host: BinaryHost;
  beforeEach(async () => {
    dir = tempDir('evk');
    host = await startBinaryHost();
  });
  afterEach(async () => {
    await host.close();
    removeDir(dir);
  });

  it.skipIf(!haveTools('fw_printenv'))('installs service and model by file, counts the OS installed, filters the peripheral; fw_printenv shows the advance', async () => {
    const product = loadProduct();
    const targets = targetsFor(product, 'arm64-v8');
    const seed = installedStateVars(product, ORG, targets);
    const kv = createEnvKv(dir, seed);
    const signer = createSigningKeyPair();
    const release = product.releases.find((r) => r.name === 'release-r1002');
    const bundle = product.bundles.find((b) => b.name === release?.bundle);
    if (release === undefined || bundle === undefined) throw new Error('fixture lacks r1002');
    const everyTarget = product.artifacts.flatMap((a) => a.versions.flatMap((v) => v.binaries.map((b) => b.target)));
    const offered = bundleBinaries(product, 'r1002', everyTarget);
    const manifest = offered.map((b, i) => {
      const bytes = content(b.binary.uuid, 70_000 + i * 1000);
      host.put(b.binary.uuid, bytes);
      return manifestItem({ uuid: b.binary.uuid, content: bytes, target: b.binary.target, customMetadata: b.customMetadata, name: b.artifact }, host.url(b.binary.uuid), signer);
    });
    const ref = { uuid: release.uuid, version: release.version, bundleUuid: bundle.uuid, requirement: release.versionRequirement };
    const api = fakeApi((h) => (h['peridio-release-prn'] === releasePrn(ref)
      ? { status: 200, body: { status: 'no_update' } }
      : { status: 200, body: updateBody(ref, manifest) }));
    const config = testConfig({ targets, trusted_signing_keys: [signer.publicKeyBase64Raw] });
    const device = bootDevice({ dir, kv, api, config, keyPem: deviceKeyPem() });

    await device.updater.checkNow();

    const byArtifact = (name: string, target: string) => offered.find((b) => b.artifact === name && b.binary.target === target);
    const service = byArtifact('edge-inference-service', 'arm64-v8');
    const model = byArtifact('edge-inference-model', 'arm-ethos-u65');
    const os = byArtifact('edge-inference-os', 'arm64-v8');
    if (!service || !model || !os) throw new Error('fixture lacks a binary');
    const env = printenv(kv.configPath);
    expect(env.get('peridio_vsn_current')).toBe('2.0.0');
    expect(env.get('peridio_via_current')).toBe(releasePrn(ref));
    expect(env.get('peridio_bun_current')).toBe(bundlePrn(ref));
    expect(env.get('peridio_vsn_previous')).toBe('1.1.0');
    expect(env.get('peridio_bin_previous')).toBe(seed.get('peridio_bin_current'));
    const expected = [os, service, model].map((b) => binRecord(b.binary.uuid, b.customMetadata)).sort().join('');
    expect(env.get('peridio_bin_current')).toBe(expected);
    expect(env.get('peridio_vsn_progress')).toBe('');
    expect(env.get('peridio_rel_current')).toBe(seed.get('peridio_rel_current'));

    const opt = join(dir, 'root/opt/edge-inference');
    expect(readlinkSync(join(opt, 'edge-inference-service.img'))).toBe(service.binary.uuid);
    expect(readlinkSync(join(opt, 'edge-inference-model.onnx'))).toBe(model.binary.uuid);
    expect(readFileSync(join(opt, 'edge-inference-service.img'))).toEqual(content(service.binary.uuid, 70_000 + offered.indexOf(service) * 1000));
    expect(existsSync(join(opt, 'edge-inference-peripheral.bin'))).toBe(false);
    expect(host.requests.map((r) => r.path.split('?')[0]?.slice(1)).sort()).toEqual([service.binary.uuid, model.binary.uuid].sort());
    expect(host.requests[0]?.headers['user-agent']).toBe('Peridiod/3.4.1');
    expect(host.requests[0]?.headers['x-retry-number']).toBe('0');
    expect(device.reboots).toEqual([]);

    await device.updater.checkNow();
    expect(api.calls[1]).toEqual({ 'peridio-release-prn': releasePrn(ref), 'peridio-release-version': '2.0.0', 'peridio-bundle-prn': bundlePrn(ref) });
    const info = device.log.messages('info');
    expect(findInOrder(info, [
      '[Cloud Server] Checking for update',
      '[Plan] Binary download from uri',
      '[Plan] Binary download from uri',
      '[Plan Server] Plan execution starting',
      '[Plan Server] on_init starting',
      '[Plan Server] on_init complete',
      '[Plan Server] run starting',
      `[Installer ${manifest[offered.indexOf(service)]?.['binary_prn'] as string}] Starting`,
      /^\[Stream Downloader prn:1:.*\] INIT download attempt 0 http:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\?\[FILTERED\]$/,
      /^\[Installer prn:1:.*\] Complete$/,
      '[Plan Server] run complete',
      '[Plan Server] on_finish starting',
      '[State] Cache cleanup started',
      '[State] Cache cleanup finished',
      '[Plan Server] on_finish complete',
      '[Plan Server] Plan finished',
      '[Cloud Server] Checking for update',
      '[Cloud Server] no update',
    ])).toBeUndefined();
    expect(info.filter((m) => m.endsWith('] Complete'))).toHaveLength(2);
    if (process.env['SHOW_LOG']) console.log(device.log.lines.map((l) => `${l.level} ${l.message}`).join('\n'));
    await device.updater.stop();
  });
});
