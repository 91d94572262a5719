import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveUpdate } from '../resolve/index.js';
import type { Device } from '../store/index.js';
import { ed25519Pair } from '../store/fixtures/seed.js';
import { startHarness, type Harness } from './fixtures/admin-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

/** Creates through the API and returns the created entity, failing loudly on any non-201. */
async function make(path: string, body: unknown): Promise<{ uuid: string; prn: string }> {
  const res = await h.api('POST', `/api/v1/${path}`, body);
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return Object.values(res.json)[0] as { uuid: string; prn: string };
}

async function signedBinary(artifact: string, version: string, key: string, content: string): Promise<string> {
  const v = await make('artifact-versions', { artifact_uuid: artifact, version });
  const b = await make('binaries', { artifact_version_uuid: v.uuid, target: 'arm64-v8' });
  expect((await h.api('PUT', `/api/v1/binaries/${b.uuid}/content`, content, { 'content-type': 'application/octet-stream' })).status).toBe(200);
  await make(`binaries/${b.uuid}/signatures`, { signing_key_uuid: key });
  return b.uuid;
}

describe('EVK story through the admin API', () => {
  it('r1002 reaches canaries once enabled and JITP devices once the phase value covers them', async () => {
    const product = await make('products', { name: 'edge-inference' });
    const cohort = await make('cohorts', { product_uuid: product.uuid, name: 'release' });
    const key = await make('signing-keys', { name: 'release-signing-key', private_key_pem: ed25519Pair().privatePem });
    const service = await make('artifacts', { product_uuid: product.uuid, name: 'edge-inference-service', custom_metadata: { peridiod: { installer: 'file' } } });
    const r1001Bundle = await make('bundles', { name: 'r1001', binary_uuids: [await signedBinary(service.uuid, 'v1.5.3', key.uuid, 'svc 1.5.3')] });
    const r1002Bundle = await make('bundles', { name: 'r1002', binary_uuids: [await signedBinary(service.uuid, 'v2.0.0', key.uuid, 'svc 2.0.0')] });
    const r1001 = await make('releases', {
      cohort_uuid: cohort.uuid, bundle_uuid: r1001Bundle.uuid, name: 'release-r1001', version: '1.1.0', phase_value: 1.0,
    });
    const r1002 = await make('releases', {
      cohort_uuid: cohort.uuid, bundle_uuid: r1002Bundle.uuid, name: 'release-r1002', version: '2.0.0',
      version_requirement: '~> 1.1', disabled: true, phase_tags: ['canary'], previous_release_uuid: r1001.uuid,
    });
    const canary = await make('devices', { product_uuid: product.uuid, identifier: 'EI-ML-0001', cohort_uuid: cohort.uuid, tags: ['canary'], target: 'arm64-v8' });
    const jitp = [];
    for (let i = 3; i <= 6; i++) {
      jitp.push(await make('devices', { product_uuid: product.uuid, identifier: `EI-ML-000${i}`, cohort_uuid: cohort.uuid, tags: ['JITP'], origin: 'jitp' }));
    }

    const offer = (uuid: string): string => {
      const device = h.store.devices.get(uuid) as Device;
      const result = resolveUpdate({
        device,
        headers: { 'peridio-release-prn': r1001.prn, 'peridio-release-version': '1.1.0', 'peridio-bundle-prn': r1001Bundle.prn },
        now: new Date(),
        ...h.store.updateContext(device),
      });
      return result.status === 'update' && result.sourceType === 'release' ? result.release.name : result.status;
    };

    expect(offer(canary.uuid)).toBe('no_update');
    expect((await h.api('PATCH', `/api/v1/releases/${r1002.uuid}`, { disabled: false })).status).toBe(200);
    expect(offer(canary.uuid)).toBe('release-r1002');
    expect(jitp.map((d) => offer(d.uuid))).toEqual(['no_update', 'no_update', 'no_update', 'no_update']);

    const halfway = await h.api('PATCH', `/api/v1/releases/${r1002.uuid}`, { phase_value: 2 });
    expect(halfway.json.release).toMatchObject({ phase_value: 2, phase_tags: null });
    const counted = [canary, ...jitp].filter((d) => offer(d.uuid) === 'release-r1002');
    expect(counted).toHaveLength(2);

    await h.api('PATCH', `/api/v1/releases/${r1002.uuid}`, { phase_value: 1.0 });
    expect(jitp.map((d) => offer(d.uuid))).toEqual(['release-r1002', 'release-r1002', 'release-r1002', 'release-r1002']);
  });
});
