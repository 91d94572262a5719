import type { Sketch } from './sketch.js';
import { formatByteRate, formatDuration, parseByteRate, parseDuration, parsePercent, parseRate } from './units.js';

/** Histogram metrics the runner measures, and what their values are. */
export const HISTOGRAMS = {
  connect: 'duration',
  poll_latency: 'duration',
  download_throughput: 'byteRate',
  install: 'duration',
  reboot_to_online: 'duration',
  time_to_update: 'duration',
} as const;
export type HistogramName = keyof typeof HISTOGRAMS;

/** Counters (whole numbers over the run). */
/** What errors{kind} may name: the kinds the collector sorts errors into (collector.ts errorKind and error() take only these). */
export const ERROR_KINDS = ['verify', 'download', 'install', 'plan', 'poll', 'connection', 'config', 'other', 'crash', 'failed', 'backend'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export const COUNTERS = ['errors', 'crashes', 'updated', 'polls', 'connects', 'reboots', 'devices'] as const;
export type CounterName = (typeof COUNTERS)[number];

/** Scalars computed at the end: aggregate download throughput in the rollout, and its ratio to the floor. */
export const SCALARS = { throughput: 'byteRate', floor_ratio: 'number' } as const;
export type ScalarName = keyof typeof SCALARS;

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export type ThresholdSubject =
  | { kind: 'quantile'; metric: HistogramName; q: number }
  | { kind: 'stat'; metric: HistogramName; stat: 'min' | 'max' | 'mean' | 'count' }
  | { kind: 'counter'; counter: CounterName; errorKind?: string }
  | { kind: 'rate'; counter: CounterName; errorKind?: string }
  | { kind: 'scalar'; scalar: ScalarName };

export interface Threshold {
  text: string;
  subject: ThresholdSubject;
  op: Operator;
  /** In the metric's base unit (ms, bytes/s, per second, count); `fraction` for `updated >= 95%`. */
  value: number;
  fraction?: boolean;
}

export class ThresholdSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const LHS = /^\s*(?:(p\d{1,3}(?:\.\d+)?|min|max|mean|count|rate)\s*\(\s*([a-z_]+)(?:\s*\{\s*([a-z_-]+)\s*\})?\s*\)|([a-z_]+)(?:\s*\{\s*([a-z_-]+)\s*\})?)\s*(<=|>=|==|!=|<|>)\s*/;

/** Parses `p95(time_to_update) < 120s`, `errors == 0`, `errors{download} < 3`, `rate(updated) > 5/s`, `updated >= 95%`. */
export function parseThreshold(text: string): Threshold {
  const m = LHS.exec(text);
  if (!m) throw new ThresholdSyntaxError('expected <aggregate>(<metric>) <op> <value>, <counter> <op> <value> or rate(<counter>) <op> <n>/s, with op one of < <= > >= == !=', 0);
  const [, fn, inner, innerKind, bare, bareKind, op] = m;
  const rhsText = text.slice(m[0].length).trim();
  const rhsOffset = m[0].length;
  if (rhsText === '') throw new ThresholdSyntaxError('missing the value after the operator', rhsOffset);
  const at = (name: string) => Math.max(0, text.indexOf(name));

  let subject: ThresholdSubject;
  if (fn !== undefined && fn !== 'rate') {
    const metric = inner as string;
    if (!Object.hasOwn(HISTOGRAMS, metric)) throw new ThresholdSyntaxError(`unknown metric ${JSON.stringify(metric)}; expected one of ${Object.keys(HISTOGRAMS).join(', ')}`, at(metric));
    if (innerKind !== undefined) throw new ThresholdSyntaxError(`{${innerKind}} applies only to errors`, at(innerKind));
    if (fn.startsWith('p')) {
      const q = Number(fn.slice(1)) / 100;
      if (!(q > 0 && q < 1)) throw new ThresholdSyntaxError(`${fn}: a percentile between p0 and p100 exclusive, e.g. p95 or p99.9`, 0);
      subject = { kind: 'quantile', metric: metric as HistogramName, q };
    } else subject = { kind: 'stat', metric: metric as HistogramName, stat: fn as 'min' | 'max' | 'mean' | 'count' };
  } else {
    const name = (fn === 'rate' ? inner : bare) as string;
    const kind = fn === 'rate' ? innerKind : bareKind;
    if (fn !== 'rate' && Object.hasOwn(SCALARS, name)) {
      subject = { kind: 'scalar', scalar: name as ScalarName };
    } else {
      if (!(COUNTERS as readonly string[]).includes(name)) {
        const known = fn === 'rate' ? COUNTERS.join(', ') : `${COUNTERS.join(', ')}, ${Object.keys(SCALARS).join(', ')} or a percentile like p95(time_to_update)`;
        throw new ThresholdSyntaxError(`unknown ${fn === 'rate' ? 'counter' : 'metric'} ${JSON.stringify(name)}; expected ${known}`, at(name));
      }
      if (kind !== undefined && name !== 'errors') throw new ThresholdSyntaxError(`{${kind}} applies only to errors`, at(kind));
      if (kind !== undefined && !(ERROR_KINDS as readonly string[]).includes(kind)) {
        throw new ThresholdSyntaxError(`unknown error kind ${JSON.stringify(kind)}; expected one of ${ERROR_KINDS.join(', ')}`, at(kind));
      }
      const base = { counter: name as CounterName, ...(kind === undefined ? {} : { errorKind: kind }) };
      subject = fn === 'rate' ? { kind: 'rate', ...base } : { kind: 'counter', ...base };
    }
  }
  return { text: text.trim(), subject, op: op as Operator, ...parseValue(subject, rhsText, rhsOffset) };
}

function parseValue(subject: ThresholdSubject, rhs: string, offset: number): { value: number; fraction?: boolean } {
  const fail = (want: string): never => {
    throw new ThresholdSyntaxError(`${JSON.stringify(rhs)} is not ${want}`, offset);
  };
  const unit = unitOf(subject);
  if (unit === 'duration') return { value: parseDuration(rhs) ?? fail('a duration like 120s, 500ms or 2m, at most 24 days') };
  if (unit === 'byteRate') return { value: parseByteRate(rhs) ?? fail('a byte rate like 10MiB/s or 512K/s') };
  if (unit === 'rate') return { value: parseRate(rhs) ?? fail('a rate like 5/s or 30/m') };
  if (subject.kind === 'counter' && subject.counter === 'updated' && rhs.endsWith('%')) {
    const fraction = parsePercent(rhs);
    // more than every device provisioned can never be updated
    return { value: fraction !== undefined && fraction <= 1 ? fraction : fail('a percentage from 0% to 100%, like 95%'), fraction: true };
  }
  if (!/^\d+(\.\d+)?$/.test(rhs)) fail(unit === 'count' ? 'a number (counts take no unit)' : 'a number');
  return { value: Number(rhs) };
}

function unitOf(s: ThresholdSubject): 'duration' | 'byteRate' | 'rate' | 'count' | 'number' {
  if (s.kind === 'quantile') return HISTOGRAMS[s.metric];
  if (s.kind === 'stat') return s.stat === 'count' ? 'count' : HISTOGRAMS[s.metric];
  if (s.kind === 'rate') return 'rate';
  if (s.kind === 'scalar') return SCALARS[s.scalar];
  return 'count';
}

/** What thresholds are evaluated against. */
export interface MetricValues {
  histograms: Record<HistogramName, Sketch>;
  counters: Record<CounterName, number>;
  errorsByKind: Record<string, number>;
  /** Devices provisioned (the base of `updated >= 95%`). */
  devices: number;
  durationSeconds: number;
  scalars: Partial<Record<ScalarName, number>>;
}

export interface ThresholdResult {
  threshold: string;
  pass: boolean;
  /** The measured value in the metric's base unit, when there was one. */
  actual: number | null;
  /** The measured value for people (`87.2s`, `12 MiB/s`). */
  actualText: string;
  message: string;
}

const COMPARE: Record<Operator, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

/** Evaluates one threshold; a metric with no samples fails (nothing measured is not a pass). */
export function evaluateThreshold(t: Threshold, m: MetricValues): ThresholdResult {
  const s = t.subject;
  let actual: number | undefined;
  if (s.kind === 'quantile') actual = m.histograms[s.metric].quantile(s.q);
  else if (s.kind === 'stat') {
    const h = m.histograms[s.metric];
    actual = s.stat === 'count' ? h.count : h.count === 0 ? undefined : s.stat === 'mean' ? h.mean() : s.stat === 'min' ? h.min : h.max;
  } else if (s.kind === 'scalar') actual = m.scalars[s.scalar];
  else {
    const n = s.errorKind !== undefined ? (Object.hasOwn(m.errorsByKind, s.errorKind) ? (m.errorsByKind[s.errorKind] as number) : 0) : m.counters[s.counter];
    actual = s.kind === 'rate' ? (m.durationSeconds > 0 ? n / m.durationSeconds : undefined) : t.fraction ? (m.devices > 0 ? n / m.devices : undefined) : n;
  }
  if (actual === undefined || Number.isNaN(actual)) {
    return { threshold: t.text, pass: false, actual: null, actualText: 'no samples', message: `${t.text}: nothing was measured` };
  }
  const pass = COMPARE[t.op](actual, t.value);
  const actualText = formatValue(t, actual);
  return { threshold: t.text, pass, actual, actualText, message: `${t.text}: ${pass ? 'passed' : 'failed'}, measured ${actualText}` };
}

export function formatValue(t: Threshold, v: number): string {
  const unit = unitOf(t.subject);
  if (unit === 'duration') return formatDuration(v);
  if (unit === 'byteRate') return formatByteRate(v);
  if (unit === 'rate') return `${+v.toFixed(3)}/s`;
  if (t.fraction) return `${+(v * 100).toFixed(2)}%`;
  return String(+v.toFixed(3));
}
