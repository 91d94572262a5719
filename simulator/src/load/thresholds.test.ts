import { describe, expect, it } from 'vitest';
import { Sketch } from './sketch.js';
import { COUNTERS, evaluateThreshold, HISTOGRAMS, parseThreshold, ThresholdSyntaxError, type CounterName, type HistogramName, type MetricValues } from './thresholds.js';
import { formatByteRate, formatDuration, parseByteRate, parseDuration, parseRate } from './units.js';

function values(over: Partial<MetricValues> = {}): MetricValues {
  const histograms = Object.fromEntries(Object.keys(HISTOGRAMS).map((k) => [k, new Sketch()])) as Record<HistogramName, Sketch>;
  for (let i = 1; i <= 100; i++) histograms.time_to_update.add(i * 1000); // 1 s … 100 s
  histograms.download_throughput.add(20 * 1024 * 1024);
  const counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<CounterName, number>;
  counters.updated = 96;
  counters.errors = 3;
  return { histograms, counters, errorsByKind: { download: 2, crash: 1 }, devices: 100, durationSeconds: 60, scalars: { floor_ratio: 1.8 }, ...over };
}

describe('thresholds', () => {
  it.each([
    ['p95(time_to_update) < 120s', true, /^9[45]\.\ds$/],
    ['p95(time_to_update) < 90s', false, /^9[45]\.\ds$/],
    ['p99.9(time_to_update) <= 100s', true, /^(99\.\d|100\.0)s$/],
    ['max(time_to_update) == 100s', true, '100.0s'],
    ['mean(time_to_update) > 50s', true, '50.5s'],
    ['count(time_to_update) >= 100', true, '100'],
    ['errors == 0', false, '3'],
    ['errors <= 3', true, '3'],
    ['errors{download} < 3', true, '2'],
    ['errors{crash} != 0', true, '1'],
    ['errors{verify} == 0', true, '0'],
    ['updated >= 95%', true, '96%'],
    ['updated >= 97%', false, '96%'],
    ['rate(updated) > 1.5/s', true, '1.6/s'],
    ['rate(errors) < 3/m', false, '0.05/s'],
    ['p50(download_throughput) > 10MiB/s', true, '20 MiB/s'],
    ['floor_ratio <= 2', true, '1.8'],
  ] as Array<[string, boolean, string | RegExp]>)('%s → %s (measured %s)', (text, pass, shown) => {
    const r = evaluateThreshold(parseThreshold(text), values());
    expect(r.pass).toBe(pass);
    expect(r.actualText).toMatch(shown);
    expect(r.message).toBe(`${text}: ${pass ? 'passed' : 'failed'}, measured ${r.actualText}`);
  });

  it('fails a threshold on a metric that has no samples (nothing measured is not a pass)', () => {
    const r = evaluateThreshold(parseThreshold('p95(reboot_to_online) < 1h'), values());
    expect(r).toMatchObject({ pass: false, actual: null, actualText: 'no samples' });
    expect(evaluateThreshold(parseThreshold('throughput > 1MiB/s'), values()).pass).toBe(false);
  });

  it.each([
    ['p95 time_to_update < 1s', 0, /expected <aggregate>\(<metric>\)/],
    ['p95(time_to_updates) < 1s', 4, /unknown metric "time_to_updates"/],
    ['p100(connect) < 1s', 0, /p100: a percentile between p0 and p100 exclusive/],
    ['p95(connect) < 5', 15, /"5" is not a duration like 120s/],
    ['p95(download_throughput) > 5MB/s', 27, /not a byte rate like 10MiB\/s/],
    ['errors == 1s', 10, /"1s" is not a number \(counts take no unit\)/],
    ['errors == ', 10, /missing the value after the operator/],
    ['rate(errors) < 3', 15, /"3" is not a rate like 5\/s/],
    ['crashes{kill} == 0', 8, /\{kill\} applies only to errors/],
    ['mistakes == 0', 0, /unknown metric "mistakes"; expected errors, crashes/],
  ])('refuses %j at offset %d', (text, offset, message) => {
    try {
      parseThreshold(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ThresholdSyntaxError);
      expect((e as ThresholdSyntaxError).message).toMatch(message);
      expect((e as ThresholdSyntaxError).offset).toBe(offset);
    }
  });
});

describe('units', () => {
  it('reads and writes the quantities scenarios use', () => {
    expect([parseDuration('500ms'), parseDuration('2s'), parseDuration('1.5m'), parseDuration('1h'), parseDuration('1m30s'), parseDuration('2 s'), parseDuration('5')]).toEqual([500, 2000, 90_000, 3_600_000, 90_000, undefined, undefined]);
    expect([parseRate('50/s'), parseRate('600/m'), parseRate('fast')]).toEqual([50, 10, undefined]);
    expect([parseByteRate('10MiB/s'), parseByteRate('512K/s'), parseByteRate('1.5 GiB/s'), parseByteRate('10MB/s')]).toEqual([10 * 2 ** 20, 512 * 1024, 1.5 * 2 ** 30, undefined]);
    expect([formatDuration(12), formatDuration(1234), formatDuration(95_000), formatDuration(720_000), formatDuration(750_000)]).toEqual(['12ms', '1.23s', '95.0s', '12m', '12m30s']);
    expect(formatByteRate(12.5 * 2 ** 20)).toBe('12.5 MiB/s');
    // whole milliseconds, and no longer than a timer can wait (a longer one would fire at once)
    expect([parseDuration('150.5ms'), parseDuration('596h'), parseDuration('597h'), parseDuration('1000h')]).toEqual([151, 2_145_600_000, undefined, undefined]);
  });

  it('refuses names that only an Object prototype has, and error kinds the collector never counts', () => {
    for (const [text, message] of [
      ['constructor == 1', /unknown metric "constructor"/],
      ['p95(__proto__) < 1s', /unknown metric "__proto__"/],
      ['errors{__proto__} == 0', /unknown error kind "__proto__"; expected one of verify, download/],
      ['errors{downlaod} == 0', /unknown error kind "downlaod"/],
      ['updated >= 950%', /"950%" is not a percentage from 0% to 100%/],
    ] as const) {
      expect(() => parseThreshold(text), text).toThrow(ThresholdSyntaxError);
      expect(() => parseThreshold(text), text).toThrow(message);
    }
    expect(evaluateThreshold(parseThreshold('errors{backend} == 0'), values({ errorsByKind: {} })).pass).toBe(true);
  });
});
