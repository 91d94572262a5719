import { describe, it, expect } from 'vitest';
import { activeSlot, activeSlotParams, stateHeaders } from './index.js';

const ORG = '92d0a3ed-9058-4632-ae29-f420078c4507';
const REL = `prn:1:${ORG}:release:11111111-1111-4111-8111-111111111111`;
const OVR = `prn:1:${ORG}:bundle_override:55555555-5555-4555-8555-555555555555`;
const BUN = `prn:1:${ORG}:bundle:33333333-3333-4333-8333-333333333333`;

// support/uEnv.txt of the top-level Containerfile (protocol §3.5).
const CONTAINER_UENV = new Map([
  ['peridio_key', ''], ['peridio_certificate', ''], ['peridio_active', 'a'], ['peridio_validated', '1'],
  ['peridio_autovalidate', '1'], ['peridio_booted', '1'], ['peridio_disk_devpath', '/dev/null'],
  ['a.peridio_product', 'peridiod'], ['a.peridio_description', 'peridiod'], ['a.peridio_version', '1.0.0'],
  ['a.peridio_platform', 'container'], ['a.peridio_architecture', 'container'], ['a.peridio_author', 'peridio'],
  ['a.peridio_uuid', '53fd2ef6-1bf3-4695-84ed-c3195c7c8d9e'],
]);

describe('stateHeaders', () => {
  it('sends release prn, version and bundle after a release install', () => {
    const kv = new Map([['peridio_via_current', REL], ['peridio_vsn_current', '2.0.0'], ['peridio_bun_current', BUN]]);
    expect(stateHeaders(kv)).toEqual({
      'peridio-release-prn': REL, 'peridio-release-version': '2.0.0', 'peridio-bundle-prn': BUN,
    });
  });

  it('omits the release prn for a bundle override and empty values', () => {
    const kv = new Map([['peridio_via_current', OVR], ['peridio_vsn_current', ''], ['peridio_bun_current', BUN]]);
    expect(stateHeaders(kv)).toEqual({ 'peridio-bundle-prn': BUN });
  });

  it('falls back to peridio_rel_current only when via is absent (EVK env)', () => {
    const evk = new Map([['peridio_rel_current', REL], ['peridio_vsn_current', '1.1.0']]);
    expect(stateHeaders(evk)).toEqual({ 'peridio-release-prn': REL, 'peridio-release-version': '1.1.0' });
    expect(stateHeaders(new Map(evk).set('peridio_via_current', ''))).toEqual({ 'peridio-release-version': '1.1.0' });
  });

  it('falls back to <active>.peridio_version only when peridio_vsn_current is absent', () => {
    expect(stateHeaders(CONTAINER_UENV)).toEqual({ 'peridio-release-version': '1.0.0' });
    expect(stateHeaders(new Map(CONTAINER_UENV).set('peridio_vsn_current', ''))).toEqual({});
    const nerves = new Map([['nerves_fw_active', 'b'], ['b.peridio_version', '0.9.0']]);
    expect(stateHeaders(nerves)).toEqual({ 'peridio-release-version': '0.9.0' });
  });

  it('sends nothing for an empty store', () => {
    expect(stateHeaders(new Map())).toEqual({});
  });
});

describe('activeSlot / activeSlotParams', () => {
  it('strips the slot prefix and adds nerves_fw_uuid (container uEnv)', () => {
    expect(activeSlotParams(CONTAINER_UENV)).toEqual({
      peridio_product: 'peridiod', peridio_description: 'peridiod', peridio_version: '1.0.0',
      peridio_platform: 'container', peridio_architecture: 'container', peridio_author: 'peridio',
      peridio_uuid: '53fd2ef6-1bf3-4695-84ed-c3195c7c8d9e', nerves_fw_uuid: '53fd2ef6-1bf3-4695-84ed-c3195c7c8d9e',
    });
  });

  it('uses nerves_fw_active and the slot nerves_fw_uuid as fallbacks', () => {
    const kv = new Map([['nerves_fw_active', 'b'], ['b.nerves_fw_uuid', 'u-1'], ['a.nerves_fw_uuid', 'u-0']]);
    expect(activeSlot(kv)).toBe('b');
    expect(activeSlotParams(kv)).toEqual({ nerves_fw_uuid: 'u-1' });
  });

  it('does not fall back when peridio_active is "" and sends nerves_fw_uuid null without a slot (EVK)', () => {
    const kv = new Map([['peridio_active', ''], ['nerves_fw_active', 'a'], ['a.peridio_uuid', 'x']]);
    expect(activeSlot(kv)).toBe('');
    expect(activeSlotParams(kv)).toEqual({ nerves_fw_uuid: null });
    expect(activeSlotParams(new Map([['peridio_vsn_current', '1.1.0']]))).toEqual({ nerves_fw_uuid: null });
  });
});
