import { formatVersion, parseVersion } from '../semver/index.js';
import { addBinRecord } from './bin-records.js';
import type { BinRecord } from './bin-records.js';

export type KvMap = ReadonlyMap<string, string>;

/** A new KV map plus what the operation wrote and which of those values actually changed. */
export interface KvChange {
  kv: Map<string, string>;
  /** Every key the operation writes, in peridiod's order (what a partial-write backend persists). */
  written: string[];
  /** Written keys whose value differs from before (including keys that were absent). */
  changed: string[];
}

export interface ProgressTarget {
  /** Release or bundle-override PRN; null for none. */
  viaPrn: string | null;
  bundlePrn: string;
  /** Release version; null for bundle overrides. */
  version: string | null;
}

const KINDS = ['via', 'bun', 'vsn', 'bin'] as const;
const key = (kind: (typeof KINDS)[number], store: 'current' | 'previous' | 'progress'): string =>
  `peridio_${kind}_${store}`;

function write(kv: KvMap, entries: [string, string][]): KvChange {
  const next = new Map(kv);
  for (const [k, v] of entries) next.set(k, v);
  const written = entries.map(([k]) => k);
  return { kv: next, written, changed: written.filter((k) => kv.get(k) !== next.get(k)) };
}

/** State.progress: records the install about to start. Does not clear peridio_bin_progress. */
export function progress(kv: KvMap, target: ProgressTarget): KvChange {
  const version = target.version === null ? '' : formatVersion(parseVersion(target.version, 'progress version'));
  return write(kv, [
    ['peridio_via_progress', target.viaPrn ?? ''],
    ['peridio_bun_progress', target.bundlePrn],
    ['peridio_vsn_progress', version],
    ['peridio_bc_progress', '0'],
  ]);
}

/** Binary.put_kv_installed(:progress): adds (or replaces) one record in peridio_bin_progress. */
export function addBinaryProgress(kv: KvMap, record: BinRecord | string): KvChange {
  const name = key('bin', 'progress');
  return write(kv, [[name, addBinRecord(kv.get(name) ?? '', record, name)]]);
}

/** State.advance: previous ← current, current ← progress, progress ← "" for via/bun/vsn/bin; bc ← "0". */
export function advance(kv: KvMap): KvChange {
  const get = (k: string): string => kv.get(k) ?? '';
  return write(kv, [
    ...KINDS.map((kind): [string, string] => [key(kind, 'previous'), get(key(kind, 'current'))]),
    ...KINDS.map((kind): [string, string] => [key(kind, 'current'), get(key(kind, 'progress'))]),
    ...KINDS.map((kind): [string, string] => [key(kind, 'progress'), '']),
    ['peridio_bc_progress', '0'],
  ]);
}

/** State.progress_reset (plan error): progress keys cleared, current keys untouched. */
export function progressReset(kv: KvMap): KvChange {
  return write(kv, [
    ['peridio_via_progress', ''],
    ['peridio_bun_progress', ''],
    ['peridio_bin_progress', ''],
    ['peridio_vsn_progress', ''],
    ['peridio_bc_progress', '0'],
  ]);
}
