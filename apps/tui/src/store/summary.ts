import { compareVersions, parseVersion, type Version } from '@vfleet/core';
import type { DeviceStatus, FleetSummary } from '@vfleet/simulator';

/** Counts by run state, phase and version, in one pass. */
export function summarize(devices: readonly DeviceStatus[]): FleetSummary {
  // no prototype: a version named `constructor` or `__proto__` (the device's env says it) counts like any other
  const byRun: FleetSummary['byRun'] = Object.create(null) as FleetSummary['byRun'];
  const byPhase: FleetSummary['byPhase'] = Object.create(null) as FleetSummary['byPhase'];
  const versions: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const d of devices) {
    byRun[d.run] = (byRun[d.run] ?? 0) + 1;
    byPhase[d.phase] = (byPhase[d.phase] ?? 0) + 1;
    const v = d.version ?? 'unknown';
    versions[v] = (versions[v] ?? 0) + 1;
  }
  return { total: devices.length, byRun, byPhase, versions };
}

/**
 * Orders versions newest first by SemVer precedence (core's, so `2.0.0-rc.1` ranks below `2.0.0`);
 * a version that is not SemVer sorts after every one that is, by its numeric parts; `unknown` last.
 */
export function compareVersionsDesc(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'unknown') return 1;
  if (b === 'unknown') return -1;
  const va = semver(a);
  const vb = semver(b);
  if (va && vb) return compareVersions(vb, va) || b.localeCompare(a);
  if (va || vb) return va ? -1 : 1;
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isInteger(nx) && Number.isInteger(ny) && x !== '' && y !== '' ? ny - nx : y.localeCompare(x);
    if (c !== 0) return c;
  }
  return 0;
}

function semver(text: string): Version | undefined {
  try {
    return parseVersion(text);
  } catch {
    return undefined;
  }
}

/** The newest version any device reports: the rollout target the summary chart follows. */
export function newestVersion(versions: Record<string, number>): string | undefined {
  return Object.keys(versions).filter((v) => v !== 'unknown').sort(compareVersionsDesc)[0];
}
