import type { DeviceStatus, FleetSummary } from '@vfleet/simulator';

/** Counts by run state, phase and version, in one pass. */
export function summarize(devices: readonly DeviceStatus[]): FleetSummary {
  const byRun: FleetSummary['byRun'] = {};
  const byPhase: FleetSummary['byPhase'] = {};
  const versions: Record<string, number> = {};
  for (const d of devices) {
    byRun[d.run] = (byRun[d.run] ?? 0) + 1;
    byPhase[d.phase] = (byPhase[d.phase] ?? 0) + 1;
    const v = d.version ?? 'unknown';
    versions[v] = (versions[v] ?? 0) + 1;
  }
  return { total: devices.length, byRun, byPhase, versions };
}

/** Orders versions newest first: numeric semver parts compared as numbers, `unknown` last. */
export function compareVersionsDesc(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'unknown') return 1;
  if (b === 'unknown') return -1;
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

/** The newest version any device reports: the rollout target the summary chart follows. */
export function newestVersion(versions: Record<string, number>): string | undefined {
  return Object.keys(versions).filter((v) => v !== 'unknown').sort(compareVersionsDesc)[0];
}
