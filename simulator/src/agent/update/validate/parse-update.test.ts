import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSigningKeyPair } from '@vfleet/core';
import { content, fileMeta, manifestItem, updateBody } from '../test-support/offers.js';
import { parseUpdateResponse } from './parse-update.js';

const signer = createSigningKeyPair();
const ref = { uuid: randomUUID(), version: '2.0.0', bundleUuid: randomUUID() };
const item = (override: Record<string, unknown> = {}): Record<string, unknown> =>
  manifestItem({ uuid: randomUUID(), content: content('x', 10), target: 'portable', customMetadata: fileMeta('/opt/a', 'a') }, 'http://h/a', signer, override);
const body = (manifest: unknown[], release: Record<string, unknown> = {}): Record<string, unknown> => {
  const b = updateBody(ref, manifest);
  return { ...b, release: { ...(b['release'] as object), ...release } };
};
const without = (key: string): Record<string, unknown> => {
  const i = item();
  delete i[key];
  return i;
};

describe('parseUpdateResponse', () => {
  it('reads a valid release offer into typed values', () => {
    const i = item({ hash: 'AB'.repeat(32), signatures: undefined });
    i['signatures'] = item()['signatures'];
    const r = parseUpdateResponse(200, body([i]));
    if (r.kind !== 'update') throw new Error(r.kind);
    expect(r.offer.via).toMatchObject({ kind: 'release', version: '2.0.0', versionRequirement: '~> 1.0' });
    expect(r.offer.binaries[0]?.hash).toBe('ab'.repeat(32));
    expect(r.offer.binaries[0]?.signatures[0]?.publicKey).toHaveLength(32);
    expect(r.offer.binaries[0]?.customMetadataHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('routes statuses as peridiod does', () => {
    expect(parseUpdateResponse(200, { status: 'no_update' })).toEqual({ kind: 'no_update' });
    expect(parseUpdateResponse(200, { status: 'device_quarantined' })).toEqual({ kind: 'device_quarantined' });
    expect(parseUpdateResponse(500, { status: 'no_update' })).toEqual({ kind: 'unrecognised' });
    expect(parseUpdateResponse(200, 'oops')).toEqual({ kind: 'unrecognised' });
    expect(parseUpdateResponse(200, { status: 'update' })).toEqual({ kind: 'unrecognised' });
  });

  it('accepts a bundle override and a release without version or requirement', () => {
    const override = parseUpdateResponse(200, { ...body([item()]), source_type: 'bundle_override', bundle_override: { prn: `prn:1:${randomUUID()}:bundle_override:${randomUUID()}` } });
    expect(override.kind === 'update' && override.offer.via.kind).toBe('bundle_override');
    const bare = parseUpdateResponse(200, body([], { version: null, version_requirement: null }));
    expect(bare.kind === 'update' && bare.offer.via).toMatchObject({ version: null, versionRequirement: null });
  });

  it.each([
    ['a missing binary_prn', [without('binary_prn')], {}, '$.manifest[0].binary_prn: missing (required)'],
    ['a missing hash', [without('hash')], {}, '$.manifest[0].hash: missing (required)'],
    ['a missing url', [without('url')], {}, '$.manifest[0].url: missing (required)'],
    ['a missing target', [without('target')], {}, '$.manifest[0].target: missing (required)'],
    ['a missing size', [without('size')], {}, '$.manifest[0].size: missing (required)'],
    ['a negative size', [item({ size: -1 })], {}, '$.manifest[0].size: expected a byte count from 0 to 68719476736 (64 GiB), found -1'],
    ['an absurd size', [item({ size: 2 ** 40 })], {}, '$.manifest[0].size: expected a byte count'],
    ['a fractional size', [item({ size: 1.5 })], {}, '$.manifest[0].size: expected a byte count'],
    ['a short hash', [item({ hash: 'abc' })], {}, '$.manifest[0].hash: expected 64 hex characters (SHA-256), found "abc"'],
    ['a non-hex hash', [item({ hash: 'z'.repeat(64) })], {}, '$.manifest[0].hash: expected 64 hex characters'],
    ['a file: url', [item({ url: 'file:///etc/passwd' })], {}, '$.manifest[0].url: expected an http or https URL, found scheme "file"'],
    ['a PRN of another type', [item({ binary_prn: `prn:1:${randomUUID()}:release:${randomUUID()}` })], {}, '$.manifest[0].binary_prn: invalid PRN'],
    ['a PRN with a slash', [item({ binary_prn: `prn:1:${randomUUID()}:binary:${randomUUID()}:a/b` })], {}, '$.manifest[0].binary_prn: contains characters'],
    ['no signatures', [item({ signatures: [] })], {}, '$.manifest[0].signatures: expected exactly one signature, found 0'],
    ['a short signature', [item({ signatures: [{ ...(item()['signatures'] as object[])[0], signature: 'ab' }] })], {}, '$.manifest[0].signatures[0].signature: expected 128 hex characters'],
    ['an undecodable key', [item({ signatures: [{ ...(item()['signatures'] as object[])[0], public_value: 'not a key!' }] })], {}, '$.manifest[0].signatures[0].public_value: "not a key!"… is not strict base64'],
    ['an invalid semver', [], { version: '2.0' }, '$.release.version: invalid version "2.0"'],
    ['an empty requirement', [], { version_requirement: '' }, '$.release.version_requirement: invalid requirement ""'],
    ['an invalid requirement', [], { version_requirement: '~> banana' }, '$.release.version_requirement: invalid requirement "~> banana"'],
    ['a custom_metadata that is not an object', [item({ custom_metadata: [1] })], {}, '$.manifest[0].custom_metadata: expected an object'],
  ])('refuses %s, naming the field', (_what, manifest, release, message) => {
    expect(() => parseUpdateResponse(200, body(manifest, release))).toThrow(`/update body ${message}`);
  });

  it('refuses the same binary twice', () => {
    const i = item();
    expect(() => parseUpdateResponse(200, body([i, { ...i }]))).toThrow(/\$\.manifest\[1\]\.binary_prn: binary [0-9a-f-]+ is already listed at \$\.manifest\[0\]/);
  });
});
