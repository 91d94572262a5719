import type { Scenario } from './scenario.js';
import type { SketchJson } from './sketch.js';
import { HISTOGRAMS, type CounterName, type HistogramName, type ThresholdResult } from './thresholds.js';
import type { Sketch } from './sketch.js';

/** Identifies the JSON report format; bumped on incompatible changes (docs/load-report.md). */
export const REPORT_SCHEMA = 'vfleet.load-report/1';

export interface MetricSummary {
  unit: 'ms' | 'bytes/s';
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  /** The mergeable sketch itself (relative accuracy `alpha`), so runs and shards can be combined. */
  sketch: SketchJson;
}

export interface PhaseRecord {
  index: number;
  kind: string;
  /** Line of the phase in the scenario file (0 when built from flags). */
  line: number;
  /** Seconds from the start of the run. */
  start: number;
  seconds: number;
  outcome: 'ok' | 'timeout' | 'skipped' | 'interrupted' | 'error';
  note?: string;
}

export interface CheckRecord {
  name: string;
  pass: boolean;
  message: string;
}

export interface Timeline {
  intervalMs: number;
  /** Seconds from the start of the run, one per sample; the other arrays align with it. */
  t: number[];
  online: number[];
  updated: number[];
  updating: number[];
  errors: number[];
  crashes: number[];
  /** Phase starts, for chart annotations. */
  marks: Array<{ t: number; label: string }>;
}

export interface LoadReport {
  schema: typeof REPORT_SCHEMA;
  scenario: {
    name: string;
    description: string | null;
    file: string | null;
    seed: number;
    runtime: string;
    backend: 'embedded' | string;
    release: { name: string; version: string } | null;
    thresholds: string[];
  };
  /** False when the run was interrupted or could not finish: thresholds then judge partial data. */
  complete: boolean;
  /** Why the run is incomplete (Ctrl-C, a failing hook, …); null when complete. */
  incompleteReason: string | null;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  devices: { provisioned: number; updated: number };
  phases: PhaseRecord[];
  metrics: Record<HistogramName, MetricSummary>;
  counters: Record<CounterName, number>;
  errors: { byKind: Record<string, number>; samples: Array<{ at: string; device: string; kind: string; message: string }> };
  rollout: {
    enabledAt: string | null;
    firstUpdateAt: string | null;
    lastUpdateAt: string | null;
    /** Release enabled → last device updated. */
    seconds: number | null;
    bytesPerDevice: number | null;
    /** updated devices × bytesPerDevice / seconds. */
    aggregateBytesPerSecond: number | null;
  };
  floor: { seconds: number; settledSeconds: number; threads: number; bytes: number; bytesPerSecond: number; ratio: number | null } | null;
  thresholds: ThresholdResult[];
  checks: CheckRecord[];
  timeline: Timeline;
  pass: boolean;
  /** 0 pass, 1 a threshold or check failed, 2 could not run (or incomplete). */
  exitCode: 0 | 1 | 2;
}

export function summarizeSketch(name: HistogramName, s: Sketch): MetricSummary {
  const q = (x: number) => s.quantile(x) ?? null;
  return {
    unit: HISTOGRAMS[name] === 'duration' ? 'ms' : 'bytes/s',
    count: s.count,
    min: s.count === 0 ? null : s.min,
    max: s.count === 0 ? null : s.max,
    mean: s.mean() ?? null,
    p50: q(0.5),
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    sketch: s.toJSON(),
  };
}

export function scenarioHeader(s: Scenario): LoadReport['scenario'] {
  return {
    name: s.name,
    description: s.description ?? null,
    file: s.file ?? null,
    seed: s.seed,
    runtime: s.target.runtime,
    backend: s.target.deviceApi ?? 'embedded',
    release: s.release ? { name: s.release.name, version: s.release.version } : null,
    thresholds: s.thresholds.map((t) => t.text),
  };
}
