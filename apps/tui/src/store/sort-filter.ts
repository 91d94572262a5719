import type { DeviceStatus } from '@vfleet/simulator';
import { compareVersionsDesc } from './summary.js';

export const SORT_KEYS = ['id', 'tags', 'state', 'version', 'slot', 'lastSeen', 'progress'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface SortSpec {
  key: SortKey;
  desc: boolean;
}

const text = (d: DeviceStatus, key: SortKey): string => {
  switch (key) {
    case 'tags':
      return d.tags?.join(',') ?? d.cohort ?? '';
    case 'state':
      return `${d.run}/${d.phase}`;
    case 'slot':
      return d.slot ?? '';
    default:
      return d.id;
  }
};

/** Devices in the asked order; ties fall back to id order. Input arrives in id order. */
export function sortDevices(devices: readonly DeviceStatus[], sort: SortSpec): DeviceStatus[] {
  const sign = sort.desc ? -1 : 1;
  if (sort.key === 'id') return sort.desc ? [...devices].reverse() : [...devices];
  let cmp: (a: DeviceStatus, b: DeviceStatus) => number;
  if (sort.key === 'version') cmp = (a, b) => -compareVersionsDesc(a.version ?? 'unknown', b.version ?? 'unknown');
  else if (sort.key === 'lastSeen') cmp = (a, b) => (a.lastSeen ?? 0) - (b.lastSeen ?? 0);
  else if (sort.key === 'progress') cmp = (a, b) => (a.progress ?? -1) - (b.progress ?? -1);
  else {
    const key = sort.key;
    cmp = (a, b) => {
      const x = text(a, key);
      const y = text(b, key);
      return x < y ? -1 : x > y ? 1 : 0;
    };
  }
  // decorate with the original index so ties keep id order in both directions
  const indexed = devices.map((d, i) => ({ d, i }));
  indexed.sort((a, b) => sign * cmp(a.d, b.d) || a.i - b.i);
  return indexed.map((x) => x.d);
}

/**
 * Filter words, all of which must match: `tag:canary`, `v:2.0.0` (version prefix), `state:running`
 * (run state or phase), `rt:inproc`, `slot:b`, or a bare word matched against id, tags, cohort,
 * version, state and the last log line. Case-insensitive.
 */
export function filterDevices(devices: readonly DeviceStatus[], query: string): DeviceStatus[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return devices as DeviceStatus[];
  const tests = words.map((w): ((d: DeviceStatus) => boolean) => {
    const colon = w.indexOf(':');
    const field = colon > 0 ? w.slice(0, colon) : '';
    const value = colon > 0 ? w.slice(colon + 1) : w;
    switch (field) {
      case 'tag':
      case 'tags':
        return (d) => (d.tags ?? []).some((t) => t.toLowerCase().includes(value)) || (d.cohort ?? '').toLowerCase().includes(value);
      case 'v':
      case 'version':
        return (d) => (d.version ?? '').toLowerCase().startsWith(value);
      case 'state':
      case 'run':
      case 'phase':
        return (d) => d.run === value || d.phase === value;
      case 'rt':
      case 'runtime':
        return (d) => d.runtime === value;
      case 'slot':
        return (d) => d.slot === value;
      default:
        return (d) =>
          d.id.toLowerCase().includes(value) ||
          (d.tags ?? []).some((t) => t.toLowerCase().includes(value)) ||
          (d.cohort ?? '').toLowerCase().includes(value) ||
          (d.version ?? '').toLowerCase().includes(value) ||
          d.run.includes(value) ||
          d.phase.includes(value) ||
          (d.lastLog ?? '').toLowerCase().includes(value);
    }
  });
  return devices.filter((d) => tests.every((t) => t(d)));
}
