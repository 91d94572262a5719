import { compareVersions, parseVersion, satisfies, type Version } from '@vfleet/core';
import { inPhase } from './phase.js';
import type { ResolveBundle, ResolveBundleOverride, ResolveInput, ResolveRelease, ResolveResult, StateHeaders } from './types.js';

function header(headers: StateHeaders, name: keyof StateHeaders): string | undefined {
  const raw = headers[name];
  const value = (typeof raw === 'string' ? raw : raw?.[0])?.trim();
  return value === '' ? undefined : value;
}

const uuidOfPrn = (prn: string): string | undefined => prn.split(':')[4]?.toLowerCase();

function byVersionThenAge(a: ResolveRelease, b: ResolveRelease): number {
  if (a.version !== null && b.version !== null) return compareVersions(a.version, b.version);
  if (a.version !== b.version) return a.version === null ? 1 : -1;
  return a.inserted_at.localeCompare(b.inserted_at);
}

function tryVersion(text: string): Version | undefined {
  try {
    return parseVersion(text);
  } catch {
    return undefined;
  }
}

/**
 * Decides what `/update` offers a device (protocol §5.2): an active bundle override (latest start
 * wins), else its cohort's releases entered by release PRN, bundle PRN or version, walking
 * `next_release` past non-required releases to the last one available to the device. Pure.
 */
export function resolveUpdate<R extends ResolveRelease, B extends ResolveBundle, O extends ResolveBundleOverride>(
  input: ResolveInput<R, B, O>,
): ResolveResult<R, B, O> {
  const { device, now } = input;
  if (device.quarantined) return { status: 'device_quarantined' };
  const bundles = new Map(input.bundles.map((b) => [b.uuid, b]));
  const reportedBundle = header(input.headers, 'peridio-bundle-prn');

  const t = now.getTime();
  const override = input.bundleOverrides
    .filter((o) => (o.device_uuids?.includes(device.uuid) ?? true) && bundles.has(o.bundle_uuid))
    .filter((o) => Date.parse(o.starts_at) <= t && (o.ends_at === null || t < Date.parse(o.ends_at)))
    .sort((a, b) => Date.parse(b.starts_at) - Date.parse(a.starts_at) || b.inserted_at.localeCompare(a.inserted_at))[0];
  if (override !== undefined) {
    const bundle = bundles.get(override.bundle_uuid) as B;
    if (reportedBundle?.toLowerCase() === bundle.prn.toLowerCase()) return { status: 'no_update', reason: 'device already has the override bundle' };
    return { status: 'update', sourceType: 'bundle_override', bundleOverride: override, bundle };
  }

  if (device.cohort_uuid === null) return { status: 'no_update', reason: 'device has no cohort' };
  const releases = input.releases.filter((r) => r.cohort_uuid === device.cohort_uuid);
  const byUuid = new Map(releases.map((r) => [r.uuid, r]));
  const available = (r: R): boolean =>
    !r.disabled && Date.parse(r.schedule_date) <= t && inPhase(r, device, input.cohortDeviceUuids);

  /** The furthest release reachable from `start`, stopping at a required one or before an unavailable one. */
  const walk = (start: string | null): R | undefined => {
    let candidate: R | undefined;
    const seen = new Set<string>();
    for (let at = start; at !== null && !seen.has(at); ) {
      seen.add(at);
      const r = byUuid.get(at);
      if (r === undefined || !available(r)) break;
      candidate = r;
      if (r.required) break;
      at = r.next_release_uuid;
    }
    return candidate;
  };
  const offer = (target: R | undefined, why: string): ResolveResult<R, B, O> => {
    const bundle = target === undefined ? undefined : bundles.get(target.bundle_uuid);
    if (target === undefined || bundle === undefined) return { status: 'no_update', reason: why };
    return { status: 'update', sourceType: 'release', release: target, bundle };
  };

  const releasePrn = header(input.headers, 'peridio-release-prn');
  const current = releasePrn === undefined ? undefined : byUuid.get(uuidOfPrn(releasePrn) ?? '');
  if (current !== undefined) return offer(walk(current.next_release_uuid), 'no newer release is available to the device');

  const bundle = reportedBundle === undefined ? undefined : input.bundles.find((b) => b.prn.toLowerCase() === reportedBundle.toLowerCase());
  const onBundle = bundle === undefined ? undefined : releases.filter((r) => r.bundle_uuid === bundle.uuid).sort(byVersionThenAge)[0];
  if (onBundle !== undefined) return offer(walk(onBundle.next_release_uuid), 'no newer release is available to the device');

  const versionText = header(input.headers, 'peridio-release-version');
  const version = versionText === undefined ? undefined : tryVersion(versionText);
  if (version === undefined) return { status: 'no_update', reason: 'the device reports no known release, bundle or valid version' };
  const entry = releases
    .filter((r) => !r.disabled && r.version !== null && r.version_requirement !== null)
    .filter((r) => compareVersions(r.version as string, version) > 0 && satisfies(version, r.version_requirement as string))
    .sort(byVersionThenAge)[0];
  if (entry === undefined) return { status: 'no_update', reason: `no enabled release accepts version ${versionText ?? ''}` };
  return offer(walk(entry.uuid), 'no newer release is available to the device');
}
