import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStoreError, type StoreError } from './errors.js';
import { ed25519Pair, seedCatalog, signHash, TEST_CA_PEM, TEST_DEVICE_PEM } from './fixtures/seed.js';
import { tempStore, type TempStore } from './fixtures/temp-store.js';

let t: TempStore;
beforeEach(() => {
  t = tempStore();
});
afterEach(() => t.cleanup());

function rejection(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (e) {
    if (isStoreError(e)) return e;
    throw e;
  }
  throw new Error('expected a StoreError');
}

describe('catalog entities', () => {
  it('creates a signed catalog with PRNs in the store organization', () => {
    const s = seedCatalog(t.store);
    expect(s.product.prn).toBe(`prn:1:0b9e3a1c-52f4-4a43-9c1e-6d2f0a7b8c9d:product:${s.product.uuid}`);
    expect(s.b1.state).toBe('signed');
    expect(s.b1.custom_metadata).toEqual(s.artifact.custom_metadata);
    expect(t.store.bundles.get(s.bundle1.uuid)?.binary_uuids).toEqual([s.b1.uuid]);
    expect(t.store.releases.get(s.r1001.uuid)?.next_release_uuid).toBe(s.r1002.uuid);
    expect(s.key.has_private_key).toBe(true);
    expect(JSON.stringify(s.key)).not.toContain('PRIVATE KEY');
    expect(t.store.signingKeys.privateKeyPem(s.key.uuid)).toBe(s.keys.privatePem);
    expect(s.key.public_value).toBe(s.keys.publicValue);
  });

  it('names entity.field in validation errors and sorts them into kinds', () => {
    const s = seedCatalog(t.store);
    const cases: [() => unknown, string, string][] = [
      [() => t.store.products.create({ name: '' }), 'product.name', 'invalid'],
      [() => t.store.products.create({ name: 'edge-inference' }), 'product.name', 'conflict'],
      [() => t.store.products.create({ name: 'x', colour: 'red' } as never), 'product.colour', 'unknown_field'],
      [() => t.store.cohorts.create({ product_uuid: '9f1d2c3b-0000-4000-8000-000000000000', name: 'x' }), 'cohort.product_uuid', 'reference'],
      [() => t.store.cohorts.create({ product_uuid: 'not-a-uuid', name: 'x' }), 'cohort.product_uuid', 'invalid'],
      [() => t.store.releases.create({ cohort_uuid: s.cohort.uuid, bundle_uuid: s.bundle1.uuid, name: 'x', version: '1.2' }), 'release.version', 'invalid'],
      [() => t.store.releases.create({ cohort_uuid: s.cohort.uuid, bundle_uuid: s.bundle1.uuid, name: 'x', version: '3.0.0', version_requirement: '' }), 'release.version_requirement', 'invalid'],
      [() => t.store.releases.create({ cohort_uuid: s.cohort.uuid, bundle_uuid: s.bundle1.uuid, name: 'x', version: '3.0.0', version_requirement: '~> 1.1 and' }), 'release.version_requirement', 'invalid'],
      [() => t.store.releases.create({ cohort_uuid: s.cohort.uuid, bundle_uuid: s.bundle1.uuid, name: 'x', version_requirement: '~> 1.1' }), 'release.version_requirement', 'invalid'],
      [() => t.store.releases.create({ cohort_uuid: s.cohort.uuid, bundle_uuid: s.bundle1.uuid, name: 'x', version: '1.1.0' }), 'release.version', 'conflict'],
      [() => t.store.releases.create({ cohort_uuid: s.cohort.uuid, bundle_uuid: s.bundle1.uuid, name: 'x', phase_value: 1.5 }), 'release.phase_value', 'invalid'],
      [() => t.store.releases.create({ cohort_uuid: s.cohort.uuid, bundle_uuid: s.bundle1.uuid, name: 'x', phase_value: 0.5, phase_tags: ['a'] }), 'release.phase_tags', 'invalid'],
      [() => t.store.releases.create({ cohort_uuid: s.cohort.uuid, bundle_uuid: s.bundle1.uuid, name: 'x', schedule_date: 'tomorrow' }), 'release.schedule_date', 'invalid'],
      [() => t.store.signingKeys.create({ name: 'k', public_value: 'AAAA' }), 'signing_key.public_value', 'invalid'],
      [() => t.store.caCertificates.create({ certificate_pem: TEST_DEVICE_PEM }), 'ca_certificate.certificate_pem', 'invalid'],
      [() => t.store.caCertificates.create({ certificate_pem: 'junk' }), 'ca_certificate.certificate_pem', 'invalid'],
      [() => t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'd', tags: ['ok', 7] as never }), 'device.tags[1]', 'invalid'],
      [() => t.store.bundles.create({ name: 'empty', binary_uuids: [] }), 'bundle.binary_uuids', 'invalid'],
    ];
    for (const [fn, field, kind] of cases) {
      const e = rejection(fn);
      expect({ field: e.field, kind: e.kind }).toEqual({ field, kind });
      expect(e.message.startsWith(`${field}: `)).toBe(true);
      expect(e.code).toBe('VFLEET_CONFIG_INVALID');
    }
  });

  it('accepts PRNs wherever a reference UUID is expected', () => {
    const s = seedCatalog(t.store);
    const cohort = t.store.cohorts.create({ product_uuid: s.product.prn, name: 'daily-release' });
    expect(cohort.product_uuid).toBe(s.product.uuid);
    const e = rejection(() => t.store.cohorts.create({ product_uuid: s.cohort.prn, name: 'y' }));
    expect(e.message).toContain('expected "product"');
  });

  it('registers a CA with fingerprint, subject and JITP settings', () => {
    const s = seedCatalog(t.store);
    const ca = t.store.caCertificates.create({
      certificate_pem: TEST_CA_PEM,
      cohort_uuid: s.cohort.uuid,
      jitp: { cohort_uuid: s.cohort.uuid, product_name: 'edge-inference', tags: ['JITP'], target: 'arm64-v8', description: 'JITP' },
    });
    expect(ca.fingerprint).toBe('ab6966820ed913ac6f0cbe41d38a2a3ab6c39e1609c14d5f4b7ed66e19f034af');
    expect(ca.subject).toContain('CN=Intermediate CA test-product release');
    expect(ca.not_after).toBe('2126-11-04T17:16:51.000Z');
    expect(ca.jitp?.tags).toEqual(['JITP']);
    expect(t.store.caCertificates.getByFingerprint(ca.fingerprint.toUpperCase())?.uuid).toBe(ca.uuid);
    const wrongProduct = rejection(() => t.store.caCertificates.update(ca.uuid, { jitp: { cohort_uuid: s.cohort.uuid, product_name: 'other' } }));
    expect(wrongProduct.field).toBe('ca_certificate.jitp.product_name');
    expect(rejection(() => t.store.cohorts.delete(s.cohort.uuid)).kind).toBe('conflict');
  });

  it('checks uploads against declared hash and size, once', () => {
    const s = seedCatalog(t.store);
    const v = t.store.artifactVersions.create({ artifact_uuid: s.artifact.uuid, version: 'v3' });
    const b = t.store.binaries.create({ artifact_version_uuid: v.uuid, target: 'x86_64', size: 5, hash: 'A'.repeat(64) });
    const wrong = rejection(() => t.store.binaries.completeUpload(b.uuid, { hash: 'b'.repeat(64), size: 5, storage_path: '/x' }));
    expect(wrong.field).toBe('binary.hash');
    const done = t.store.binaries.completeUpload(b.uuid, { hash: 'a'.repeat(64), size: 5, storage_path: '/x' });
    expect(done.state).toBe('uploaded');
    expect(rejection(() => t.store.binaries.completeUpload(b.uuid, { hash: 'a'.repeat(64), size: 5, storage_path: '/x' })).kind).toBe('conflict');
  });

  it('verifies signatures against the key and the hash', () => {
    const s = seedCatalog(t.store);
    const v = t.store.artifactVersions.create({ artifact_uuid: s.artifact.uuid, version: 'v3' });
    const b = t.store.binaries.create({ artifact_version_uuid: v.uuid, target: 'x86_64' });
    const hash = createHash('sha256').update('three').digest('hex');
    t.store.binaries.completeUpload(b.uuid, { hash, size: 5, storage_path: '/x' });
    const other = ed25519Pair();
    const bad = rejection(() => t.store.binarySignatures.create({ binary_uuid: b.uuid, signing_key_uuid: s.key.uuid, signature: signHash(other.privatePem, hash) }));
    expect(bad.field).toBe('binary_signature.signature');
    const unsigned = rejection(() => t.store.bundles.create({ name: 'r3', binary_uuids: [b.uuid] }));
    expect(unsigned.message).toContain('only signed binaries');
    const sig = t.store.binarySignatures.create({ binary_uuid: b.uuid, signing_key_uuid: s.key.uuid, signature: signHash(s.keys.privatePem, hash).toLowerCase() });
    expect(sig.signature).toMatch(/^[0-9A-F]{128}$/);
    expect(t.store.binaries.get(b.uuid)?.state).toBe('signed');
  });

  it('refuses to delete what is still in use and deletes what is not', () => {
    const s = seedCatalog(t.store);
    expect(rejection(() => t.store.products.delete(s.product.uuid)).kind).toBe('conflict');
    expect(rejection(() => t.store.bundles.delete(s.bundle1.uuid)).kind).toBe('conflict');
    expect(rejection(() => t.store.products.delete('9f1d2c3b-0000-4000-8000-000000000000')).kind).toBe('not_found');
    const lone = t.store.products.create({ name: 'lone' });
    t.store.products.delete(lone.uuid);
    expect(t.store.products.get(lone.uuid)).toBeUndefined();
  });

  it('bumps the generation on catalog writes only', () => {
    const s = seedCatalog(t.store);
    const device = t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001', cohort_uuid: s.cohort.uuid });
    const before = t.store.generation();
    t.store.touchDevice(device.uuid);
    t.store.recordEvent('poll', device.uuid, {});
    t.store.flush();
    expect(t.store.generation()).toBe(before);
    t.store.releases.update(s.r1002.uuid, { disabled: false });
    expect(t.store.generation()).toBeGreaterThan(before);
  });
});
