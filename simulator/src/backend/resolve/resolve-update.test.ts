import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveUpdate } from './resolve-update.js';
import type { ResolveBundle, ResolveBundleOverride, ResolveDevice, ResolveRelease, StateHeaders } from './types.js';

const ORG = '11111111-1111-4111-8111-111111111111';
const COHORT = 'c0000000-0000-4000-8000-000000000000';
const NOW = new Date('2026-03-01T12:00:00Z');
const PAST = '2026-01-01T00:00:00.000Z';
const FUTURE = '2026-06-01T00:00:00.000Z';

/** A deterministic v4-shaped UUID per label, so phase results do not change between runs. */
function uuid(label: string): string {
  const h = createHash('sha256').update(label).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
const prn = (type: string, id: string): string => `prn:1:${ORG}:${type}:${id}`;

function bundle(name: string): ResolveBundle {
  return { uuid: uuid(`bundle ${name}`), prn: prn('bundle', uuid(`bundle ${name}`)) };
}

type R = ResolveRelease & { name: string };

/** Release `name` on bundle `name`, enabled, scheduled in the past, no phase, version from the name. */
function release(name: string, next: string | null, extra: Partial<R> = {}): R {
  const id = uuid(`release ${name}`);
  return {
    name, uuid: id, prn: prn('release', id), cohort_uuid: COHORT, bundle_uuid: bundle(name).uuid,
    version: null, version_requirement: null, next_release_uuid: next === null ? null : uuid(`release ${next}`),
    required: false, disabled: false, schedule_date: PAST, phase_value: null, phase_tags: null,
    inserted_at: PAST, ...extra,
  };
}

function device(label: string, extra: Partial<ResolveDevice> = {}): ResolveDevice {
  const id = uuid(`device ${label}`);
  return { uuid: id, prn: prn('device', id), cohort_uuid: COHORT, tags: [], identifier: label, quarantined: false, ...extra };
}

const onRelease = (name: string): StateHeaders => ({ 'peridio-release-prn': prn('release', uuid(`release ${name}`)) });

interface Case {
  name: string;
  releases: R[];
  headers: StateHeaders;
  device?: ResolveDevice;
  overrides?: ResolveBundleOverride[];
  /** The expected release name, bundle override name, or the status. */
  expect: string;
}

function run(c: Pick<Case, 'releases' | 'headers' | 'device' | 'overrides'>, cohortDeviceUuids?: string[]): string {
  const overrides = c.overrides ?? [];
  const result = resolveUpdate({
    device: c.device ?? device('d1'),
    headers: c.headers,
    now: NOW,
    releases: c.releases,
    bundles: [...c.releases.map((r) => bundle(r.name)), bundle('ovr-a'), bundle('ovr-b')],
    bundleOverrides: overrides,
    ...(cohortDeviceUuids === undefined ? {} : { cohortDeviceUuids }),
  });
  if (result.status !== 'update') return result.status;
  return result.sourceType === 'release' ? result.release.name : `override ${result.bundleOverride.uuid}`;
}

function override(name: string, bundleName: string, startsAt: string, endsAt: string | null, deviceUuids?: string[]): ResolveBundleOverride {
  return {
    uuid: name, prn: prn('bundle_override', uuid(name)), bundle_uuid: bundle(bundleName).uuid,
    starts_at: startsAt, ends_at: endsAt, inserted_at: PAST, ...(deviceUuids === undefined ? {} : { device_uuids: deviceUuids }),
  };
}

const chain = (extra: Record<string, Partial<R>> = {}): R[] => [
  release('r1', 'r2', extra['r1']), release('r2', 'r3', extra['r2']), release('r3', 'r4', extra['r3']), release('r4', null, extra['r4']),
];

const cases: Case[] = [
  { name: 'static walk goes to the latest release', releases: chain(), headers: onRelease('r1'), expect: 'r4' },
  { name: 'a required release is not skipped', releases: chain({ r2: { required: true } }), headers: onRelease('r1'), expect: 'r2' },
  { name: 'past a required release once on it', releases: chain({ r2: { required: true } }), headers: onRelease('r2'), expect: 'r4' },
  { name: 'a disabled latest is not served: previous candidate', releases: chain({ r4: { disabled: true } }), headers: onRelease('r1'), expect: 'r3' },
  { name: 'a disabled next release blocks the chain', releases: chain({ r2: { disabled: true } }), headers: onRelease('r1'), expect: 'no_update' },
  { name: 'schedule_date in the future gates the latest', releases: chain({ r4: { schedule_date: FUTURE } }), headers: onRelease('r1'), expect: 'r3' },
  { name: 'schedule_date just passed is served', releases: chain({ r4: { schedule_date: '2026-03-01T11:59:59.000Z' } }), headers: onRelease('r1'), expect: 'r4' },
  { name: 'device already on the latest → no_update', releases: chain(), headers: onRelease('r4'), expect: 'no_update' },
  { name: 'phase tags: device without the tag gets the previous candidate', releases: chain({ r4: { phase_tags: ['canary'] } }), headers: onRelease('r1'), expect: 'r3' },
  { name: 'phase tags: device with any of the tags', releases: chain({ r4: { phase_tags: ['beta', 'canary'] } }), headers: onRelease('r1'), device: device('d1', { tags: ['canary'] }), expect: 'r4' },
  { name: 'phase value 0.0 admits nobody', releases: chain({ r4: { phase_value: 0 } }), headers: onRelease('r1'), expect: 'r3' },
  { name: 'phase value 1.0 admits everybody', releases: chain({ r4: { phase_value: 1 } }), headers: onRelease('r1'), expect: 'r4' },
  {
    name: 'dynamic entry: version 1.1.0 matches ~> 1.1',
    releases: [release('v1', 'v2', { version: '1.1.0' }), release('v2', null, { version: '2.0.0', version_requirement: '~> 1.1' })],
    headers: { 'peridio-release-version': '1.1.0' },
    expect: 'v2',
  },
  {
    name: 'dynamic entry: lowest matching version, then the chain',
    releases: [
      release('v3', null, { version: '3.0.0', version_requirement: '>= 1.0.0' }),
      release('v2', 'v3', { version: '2.0.0', version_requirement: '~> 1.1', required: true }),
    ],
    headers: { 'peridio-release-version': '1.4.2' },
    expect: 'v2',
  },
  {
    name: 'dynamic entry: no requirement matches',
    releases: [release('v2', null, { version: '2.0.0', version_requirement: '~> 1.1' })],
    headers: { 'peridio-release-version': '1.0.9' },
    expect: 'no_update',
  },
  {
    name: 'dynamic entry: an invalid version header is ignored',
    releases: [release('v2', null, { version: '2.0.0', version_requirement: '~> 1.1' })],
    headers: { 'peridio-release-version': 'not-a-version' },
    expect: 'no_update',
  },
  {
    name: 'dynamic entry: the device version itself is not an update',
    releases: [release('v2', null, { version: '2.0.0', version_requirement: '>= 1.0.0' })],
    headers: { 'peridio-release-version': '2.0.0' },
    expect: 'no_update',
  },
  { name: 'bundle-prn entry: the release of that bundle is current', releases: chain(), headers: { 'peridio-bundle-prn': bundle('r2').prn }, expect: 'r4' },
  {
    name: 'release-prn takes precedence over bundle-prn and version',
    releases: chain(),
    headers: { ...onRelease('r3'), 'peridio-bundle-prn': bundle('r1').prn, 'peridio-release-version': '0.1.0' },
    expect: 'r4',
  },
  {
    name: 'an unknown release-prn falls back to the bundle',
    releases: chain({ r2: { required: true } }),
    headers: { 'peridio-release-prn': prn('release', uuid('elsewhere')), 'peridio-bundle-prn': bundle('r1').prn },
    expect: 'r2',
  },
  { name: 'quarantined device', releases: chain(), headers: onRelease('r1'), device: device('d1', { quarantined: true }), expect: 'device_quarantined' },
  { name: 'no cohort', releases: chain(), headers: onRelease('r1'), device: device('d1', { cohort_uuid: null }), expect: 'no_update' },
  {
    name: 'active bundle override wins over releases',
    releases: chain(), headers: onRelease('r1'),
    overrides: [override('o1', 'ovr-a', PAST, null)],
    expect: 'override o1',
  },
  {
    name: 'the override with the latest start wins',
    releases: chain(), headers: onRelease('r1'),
    overrides: [override('o1', 'ovr-a', '2026-02-01T00:00:00Z', null), override('o2', 'ovr-b', '2026-02-15T00:00:00Z', null)],
    expect: 'override o2',
  },
  {
    name: 'an override that has not started or has ended is ignored',
    releases: chain(), headers: onRelease('r1'),
    overrides: [override('o1', 'ovr-a', FUTURE, null), override('o2', 'ovr-b', PAST, '2026-03-01T12:00:00Z')],
    expect: 'r4',
  },
  {
    name: 'an override listing other devices is ignored',
    releases: chain(), headers: onRelease('r1'),
    overrides: [override('o1', 'ovr-a', PAST, null, [uuid('device other')])],
    expect: 'r4',
  },
  {
    name: 'device already on the override bundle → no_update',
    releases: chain(), headers: { 'peridio-bundle-prn': bundle('ovr-a').prn },
    overrides: [override('o1', 'ovr-a', PAST, null)],
    expect: 'no_update',
  },
  {
    name: 'header arrays (repeated headers) use the first value',
    releases: chain(), headers: { 'peridio-release-prn': [prn('release', uuid('release r3')), 'junk'] },
    expect: 'r4',
  },
];

describe('resolveUpdate', () => {
  it.each(cases)('$name', (c) => {
    expect(run(c)).toBe(c.expect);
  });

  it('a next_release loop ends the walk instead of hanging', () => {
    const releases = [release('a', 'b'), release('b', 'a')];
    expect(run({ releases, headers: onRelease('a') })).toBe('a');
  });
});

describe('phase value', () => {
  const fleet = Array.from({ length: 1000 }, (_, i) => device(`fleet-${i}`));
  const admitted = (value: number, cohort?: string[]): Set<string> => {
    const releases = chain({ r4: { phase_value: value } });
    return new Set(fleet.filter((d) => run({ releases, headers: onRelease('r3'), device: d }, cohort) === 'r4').map((d) => d.uuid));
  };

  it('a fraction of 0.5 admits about half of 1000 devices', () => {
    expect(admitted(0.5).size).toBeGreaterThan(450);
    expect(admitted(0.5).size).toBeLessThan(550);
  });

  it('raising the fraction only adds devices', () => {
    let previous = new Set<string>();
    for (const value of [0, 0.1, 0.25, 0.5, 0.9, 1]) {
      const now = admitted(value);
      expect([...previous].every((u) => now.has(u))).toBe(true);
      expect(now.size).toBeGreaterThanOrEqual(previous.size);
      previous = now;
    }
    expect(previous.size).toBe(1000);
  });

  it('an integer N ≥ 2 admits exactly N devices of the cohort, growing monotonically', () => {
    const cohort = fleet.map((d) => d.uuid);
    const ten = admitted(10, cohort);
    const twenty = admitted(20, cohort);
    expect(ten.size).toBe(10);
    expect(twenty.size).toBe(20);
    expect([...ten].every((u) => twenty.has(u))).toBe(true);
    expect(admitted(5000, cohort).size).toBe(1000);
  });

  it('a device count without the cohort list admits nobody', () => {
    expect(admitted(10).size).toBe(0);
  });
});

describe('EVK story: r1001 → r1002', () => {
  const r1001 = (): R => release('r1001', 'r1002', { version: '1.1.0', phase_value: 1 });
  const r1002 = (extra: Partial<R>): R =>
    release('r1002', null, { version: '2.0.0', version_requirement: '~> 1.1', disabled: true, phase_tags: ['canary'], ...extra });
  const headers = { ...onRelease('r1001'), 'peridio-release-version': '1.1.0', 'peridio-bundle-prn': bundle('r1001').prn };
  const canary = device('EI-ML-0001', { tags: ['canary'] });
  const jitp = Array.from({ length: 200 }, (_, i) => device(`EI-ML-J${i}`, { tags: ['JITP'] }));

  it('a canary gets no_update while r1002 is disabled, then r1002 once enabled', () => {
    expect(run({ releases: [r1001(), r1002({})], headers, device: canary })).toBe('no_update');
    expect(run({ releases: [r1001(), r1002({ disabled: false })], headers, device: canary })).toBe('r1002');
  });

  it('a JITP device gets r1002 only once the phase is a value that covers it', () => {
    const tagged = [r1001(), r1002({ disabled: false })];
    expect(jitp.map((d) => run({ releases: tagged, headers, device: d })).every((s) => s === 'no_update')).toBe(true);
    const half = [r1001(), r1002({ disabled: false, phase_tags: null, phase_value: 0.5 })];
    const share = jitp.filter((d) => run({ releases: half, headers, device: d }) === 'r1002').length;
    expect(share).toBeGreaterThan(70);
    expect(share).toBeLessThan(130);
    const all = [r1001(), r1002({ disabled: false, phase_tags: null, phase_value: 1 })];
    expect(jitp.every((d) => run({ releases: all, headers, device: d }) === 'r1002')).toBe(true);
  });

  it('a canary already on r1002 gets no_update', () => {
    const releases = [r1001(), r1002({ disabled: false })];
    expect(run({ releases, headers: { ...onRelease('r1002'), 'peridio-release-version': '2.0.0' }, device: canary })).toBe('no_update');
  });
});
