import type { MetricsCollector } from './collector.js';
import type { FloorResult } from './floor.js';
import { REPORT_SCHEMA, scenarioHeader, summarizeSketch, type LoadReport, type PhaseRecord, type Timeline } from './report.js';
import type { Scenario } from './scenario.js';
import { evaluateThreshold, HISTOGRAMS, type HistogramName, type MetricValues } from './thresholds.js';

export interface ReportInput {
  scenario: Scenario;
  startedAt: number;
  finishedAt: number;
  collector: MetricsCollector;
  phases: PhaseRecord[];
  checks: LoadReport['checks'];
  timeline: Timeline;
  incompleteReason: string | null;
  bytesPerDevice: number | undefined;
  floor: FloorResult | null;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** Everything measured, judged: thresholds, wait checks, and the exit code they give. */
export function buildReport(r: ReportInput): LoadReport {
  const c = r.collector;
  const durationSeconds = (r.finishedAt - r.startedAt) / 1000;
  const rolloutSeconds = c.enabledAt !== undefined && c.lastUpdateAt !== undefined ? (c.lastUpdateAt - c.enabledAt) / 1000 : undefined;
  const aggregate = rolloutSeconds !== undefined && rolloutSeconds > 0 && r.bytesPerDevice !== undefined ? (c.counters.updated * r.bytesPerDevice) / rolloutSeconds : undefined;
  const floorRatio = r.floor && rolloutSeconds !== undefined && r.floor.seconds > 0 ? rolloutSeconds / r.floor.seconds : undefined;
  const scalars: MetricValues['scalars'] = {
    ...(aggregate === undefined ? {} : { throughput: aggregate }),
    ...(floorRatio === undefined ? {} : { floor_ratio: floorRatio }),
  };
  const values = c.values(durationSeconds, scalars);
  const thresholds = r.scenario.thresholds.map((t) => evaluateThreshold(t, values));
  const complete = r.incompleteReason === null;
  const pass = complete && thresholds.every((t) => t.pass) && r.checks.every((k) => k.pass);
  const exitCode: LoadReport['exitCode'] = !complete ? 2 : pass ? 0 : 1;
  return {
    schema: REPORT_SCHEMA,
    scenario: scenarioHeader(r.scenario),
    complete,
    incompleteReason: r.incompleteReason,
    startedAt: new Date(r.startedAt).toISOString(),
    finishedAt: new Date(r.finishedAt).toISOString(),
    durationSeconds: +durationSeconds.toFixed(3),
    devices: { provisioned: c.counters.devices, updated: c.counters.updated },
    phases: r.phases,
    metrics: Object.fromEntries((Object.keys(HISTOGRAMS) as HistogramName[]).map((k) => [k, summarizeSketch(k, c.histograms[k])])) as LoadReport['metrics'],
    counters: { ...c.counters },
    errors: { byKind: { ...c.errorsByKind }, samples: c.errorSamples.map((e) => ({ at: new Date(e.at).toISOString(), device: e.id, kind: e.kind, message: e.message })) },
    rollout: {
      enabledAt: iso(c.enabledAt),
      firstUpdateAt: iso(c.firstUpdateAt),
      lastUpdateAt: iso(c.lastUpdateAt),
      seconds: rolloutSeconds === undefined ? null : +rolloutSeconds.toFixed(3),
      bytesPerDevice: r.bytesPerDevice ?? null,
      aggregateBytesPerSecond: aggregate === undefined ? null : Math.round(aggregate),
    },
    floor: r.floor
      ? { seconds: +r.floor.seconds.toFixed(3), settledSeconds: r.floor.settledSeconds, threads: r.floor.threads, bytes: r.floor.bytes, bytesPerSecond: Math.round(r.floor.bytes / r.floor.seconds), ratio: floorRatio === undefined ? null : +floorRatio.toFixed(3) }
      : null,
    thresholds,
    checks: r.checks,
    timeline: r.timeline,
    pass,
    exitCode,
  };
}
