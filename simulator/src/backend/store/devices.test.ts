import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedCatalog, TEST_CA_PEM, TEST_DEVICE_PEM } from './fixtures/seed.js';
import { tempStore, type TempStore } from './fixtures/temp-store.js';
import { openStore } from './open-store.js';

let t: TempStore;
let s: ReturnType<typeof seedCatalog>;
beforeEach(() => {
  t = tempStore({ flushMs: 60_000 });
  s = seedCatalog(t.store);
});
afterEach(() => t.cleanup());

const reported = { release_prn: 'prn:1:x:release:y', version: '1.1.0', bundle_prn: null };

describe('devices', () => {
  it('are unique per product identifier and found by it', () => {
    const d = t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001', cohort_uuid: s.cohort.uuid, tags: ['canary', 'canary'] });
    expect(d.tags).toEqual(['canary']);
    expect(d.origin).toBe('admin');
    expect(t.store.devices.getByIdentifier(s.product.uuid, 'EI-ML-0001')?.uuid).toBe(d.uuid);
    expect(() => t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001' })).toThrow(/device.identifier: the product already has/);
  });

  it('shows touches and presence before they are written, and writes them on flush', () => {
    const d = t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001', cohort_uuid: s.cohort.uuid });
    const at = new Date('2026-03-01T12:00:00Z');
    t.store.touchDevice(d.uuid, reported, at);
    t.store.setDeviceOnline(d.uuid, true, new Date('2026-03-01T12:00:05Z'));
    const seen = t.store.devices.get(d.uuid);
    expect(seen).toMatchObject({ online: true, first_seen_at: at.toISOString(), last_seen_at: '2026-03-01T12:00:05.000Z', reported_version: '1.1.0' });
    const reader = new BetterSqlite3(t.file, { readonly: true });
    const row = reader.prepare('SELECT online, first_seen_at, last_seen_at, reported_release_prn FROM devices WHERE uuid = ?');
    try {
      expect(row.get(d.uuid)).toMatchObject({ online: 0, last_seen_at: null });
      t.store.flush();
      expect(row.get(d.uuid)).toEqual({ online: 1, reported_release_prn: reported.release_prn, first_seen_at: at.toISOString(), last_seen_at: '2026-03-01T12:00:05.000Z' });
      expect(t.store.devices.get(d.uuid)).toMatchObject({ online: true, reported_version: '1.1.0', first_seen_at: at.toISOString() });
    } finally {
      reader.close();
    }
  });

  it('a touch without a report keeps the last report', () => {
    const d = t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001' });
    t.store.touchDevice(d.uuid, reported);
    t.store.flush();
    t.store.touchDevice(d.uuid);
    t.store.flush();
    expect(t.store.devices.get(d.uuid)?.reported_version).toBe('1.1.0');
  });

  it('go offline on resetPresence (server start), keeping last_seen_at', () => {
    const d = t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001' });
    t.store.setDeviceOnline(d.uuid, true);
    t.store.close();
    const again = openStore(t.file);
    try {
      expect(again.devices.get(d.uuid)?.online).toBe(true);
      expect(again.resetPresence()).toBe(1);
      expect(again.devices.get(d.uuid)?.online).toBe(false);
      expect(again.devices.get(d.uuid)?.last_seen_at).not.toBeNull();
    } finally {
      again.close();
    }
  });

  it('pages and filters listings', () => {
    for (let i = 0; i < 5; i++) t.store.devices.create({ product_uuid: s.product.uuid, identifier: `D-${i}`, cohort_uuid: i % 2 === 0 ? s.cohort.uuid : null });
    expect(t.store.devices.list({ limit: 2, offset: 1 }).map((d) => d.identifier)).toEqual(['D-1', 'D-2']);
    expect(t.store.devices.list({ cohort_uuid: s.cohort.uuid }).map((d) => d.identifier)).toEqual(['D-0', 'D-2', 'D-4']);
    expect(t.store.devices.uuidsOfCohort(s.cohort.uuid)).toHaveLength(3);
  });

  it('register certificates by PEM and find them by fingerprint', () => {
    const ca = t.store.caCertificates.create({ certificate_pem: TEST_CA_PEM });
    const d = t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001' });
    const cert = t.store.deviceCertificates.create({ device_uuid: d.uuid, certificate_pem: TEST_DEVICE_PEM, ca_certificate_uuid: ca.uuid });
    expect(t.store.deviceCertificates.getByFingerprint(cert.fingerprint)?.device_uuid).toBe(d.uuid);
    t.store.devices.delete(d.uuid);
    expect(t.store.deviceCertificates.get(cert.uuid)).toBeUndefined();
  });

  it('update context: cohort releases, bundles, overrides and, for count phases, the cohort', () => {
    const d = t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001', cohort_uuid: s.cohort.uuid });
    const o = t.store.bundleOverrides.create({ name: 'hotfix', bundle_uuid: s.bundle2.uuid, starts_at: '2026-01-01T00:00:00Z', device_uuids: [d.uuid] });
    let ctx = t.store.updateContext(d);
    expect(ctx.releases.map((r) => r.name)).toEqual(['release-r1001', 'release-r1002']);
    expect(ctx.bundles.map((b) => b.name).sort()).toEqual(['r1001', 'r1002']);
    expect(ctx.bundleOverrides.map((x) => x.uuid)).toEqual([o.uuid]);
    expect(ctx.cohortDeviceUuids).toBeUndefined();
    t.store.releases.update(s.r1002.uuid, { phase_value: 10 });
    ctx = t.store.updateContext(d);
    expect(ctx.cohortDeviceUuids).toEqual([d.uuid]);
    const manifest = t.store.manifest(s.bundle1.uuid);
    expect(manifest.map((m) => [m.artifact.name, m.artifact_version.version, m.signatures[0]?.public_value])).toEqual([
      ['edge-inference-service', 'v1.5.3', s.keys.publicValue],
    ]);
  });
});

describe('tunnels', () => {
  it('move requested → open → closed and never back', () => {
    const d = t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001' });
    const tunnel = t.store.tunnels.create({ device_uuid: d.uuid, device_tunnel_port: 22, expires_at: '2026-03-01T13:00:00Z' });
    expect(tunnel.state).toBe('requested');
    expect(tunnel.prn).toContain(':tunnel:');
    const open = t.store.tunnels.update(tunnel.uuid, { state: 'open', device_proxy_ip_address: '172.16.0.2', server_proxy_port: 51820 });
    expect(open).toMatchObject({ state: 'open', device_proxy_ip_address: '172.16.0.2', server_proxy_port: 51820 });
    t.store.tunnels.update(tunnel.uuid, { state: 'closed', close_reason: 'normal' });
    expect(() => t.store.tunnels.update(tunnel.uuid, { state: 'open' })).toThrow(/tunnel.state: cannot go from closed to open/);
    expect(t.store.tunnels.list({ device_uuid: d.uuid, state: 'closed' })).toHaveLength(1);
  });

  it('refuse a close_reason with C0, DEL or C1 control characters and keep other text as given', () => {
    const d = t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001' });
    const tunnel = () => t.store.tunnels.create({ device_uuid: d.uuid, device_tunnel_port: 22, expires_at: '2026-03-01T13:00:00Z' });
    for (const reason of ['\u001b[2Jx', 'a\u007fb', '\u009b2J\u009b31mRED', 'line\u0085next', 'x\u0080']) {
      const { uuid } = tunnel();
      expect(() => t.store.tunnels.update(uuid, { state: 'closed', close_reason: reason })).toThrow(/^tunnel.close_reason: contains control characters$/);
      expect(t.store.tunnels.get(uuid)).toMatchObject({ state: 'requested', close_reason: null });
    }
    expect(t.store.tunnels.update(tunnel().uuid, { state: 'closed', close_reason: 'géré ✓ \u00a0nbsp' }).close_reason).toBe('géré ✓ \u00a0nbsp');
    expect(() => t.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0002', tags: ['ok', 'c1\u009b'] })).toThrow(/^device.tags\[1\]: expected a non-empty string/);
  });
});
