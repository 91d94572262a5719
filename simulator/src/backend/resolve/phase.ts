import { createHash } from 'node:crypto';
import type { ResolveDevice, ResolveRelease } from './types.js';

/** A stable point in [0, 1) for the pair: a device's place in a release's rollout order. */
export function phasePoint(releaseUuid: string, deviceUuid: string): number {
  const digest = createHash('sha256').update(`${releaseUuid.toLowerCase()}/${deviceUuid.toLowerCase()}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

// Sorted rollout points per (cohort list, release), so a count phase costs one lookup per poll.
const sortedPoints = new WeakMap<readonly string[], Map<string, number[]>>();

function pointsOf(releaseUuid: string, cohort: readonly string[]): number[] {
  let perRelease = sortedPoints.get(cohort);
  if (perRelease === undefined) sortedPoints.set(cohort, (perRelease = new Map()));
  let points = perRelease.get(releaseUuid);
  if (points === undefined) {
    points = cohort.map((uuid) => phasePoint(releaseUuid, uuid)).sort((a, b) => a - b);
    perRelease.set(releaseUuid, points);
  }
  return points;
}

/**
 * Phase tags: the device has any of them. Phase value 0.0–1.0: the device's point is below it, so
 * raising the value only adds devices. Integer ≥ 2: the device is among the first N of the cohort
 * in point order (unknown cohort → not in).
 */
export function inPhase(release: ResolveRelease, device: ResolveDevice, cohort: readonly string[] | undefined): boolean {
  if (release.phase_tags !== null) return release.phase_tags.some((tag) => device.tags.includes(tag));
  const value = release.phase_value;
  if (value === null) return true;
  const point = phasePoint(release.uuid, device.uuid);
  if (value <= 1) return point < value;
  if (cohort === undefined) return false;
  const points = pointsOf(release.uuid, cohort);
  if (value >= points.length) return true;
  return point <= (points[value - 1] as number);
}
