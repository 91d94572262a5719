import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from './parse-scenario.js';
import { startMetricsEndpoint } from './prometheus.js';
import { runLoad } from './runner.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-load-runner-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (yaml: string, opts: Pick<Parameters<typeof runLoad>[0], 'signal' | 'onSample' | 'say' | 'floorSettleMs'> = {}) => {
  const scenario = parseScenario(yaml, 'test.yaml');
  return runLoad({ scenario, home: join(root, 'no-home'), workDir: join(root, scenario.name), ...opts });
};

describe('runLoad', () => {
  it('injects kills, reboots and a binary fault; counts injected crashes apart from errors; serves live metrics; times the floor after the settle it asks for', async () => {
    const endpoint = await startMetricsEndpoint(0, 'faults');
    const scraped: string[] = [];
    const said: string[] = [];
    const freed: number[] = [];
    let scraping: Promise<void> | undefined;
    try {
      const report = await run(
        `
name: faults
seed: 3
sample_interval: 250ms
floor: true
release: {name: load-1.3.0, version: 1.3.0, create: {binary: 256KiB, reboot: true}}
phases:
  - provision: {count: 4, poll_interval: 500ms}
  - ramp: {rate: 40/s}
  - wait: {until: all online, timeout: 30s}
  - faults: [{kill: 1}, {reboot: 1}]
  - steady: {duration: 300ms}
  - wait: {until: all online, timeout: 30s}
  - faults: [{binary: {status: 503, duration: 1500ms}}]
  - rollout: [enable]
  - wait: {until: all on 1.3.0, timeout: 90s}
  - teardown
thresholds:
  - updated == 4
  - crashes == 1
  - errors{crash} == 0
  - errors{download} >= 1
  - count(reboot_to_online) >= 5
`,
        {
          say: (line) => said.push(line),
          floorSettleMs: (bytes) => {
            freed.push(bytes);
            return 250;
          },
          onSample: (live) => {
            endpoint.update(live);
            if (live.updated > 0 && scraping === undefined) {
              scraping = fetch(endpoint.url).then(async (r) => void scraped.push(await r.text()));
            }
          },
        },
      );
      await scraping;
      const { timeline: _t, ...rest } = report;
      expect(report.exitCode, JSON.stringify({ ...rest, metrics: undefined }, null, 1)).toBe(0);
      expect(report.thresholds.every((t) => t.pass)).toBe(true);
      expect(report.counters.reboots).toBeGreaterThanOrEqual(5); // one asked for, four for the release
      expect(report.phases.map((p) => p.outcome)).toEqual(new Array(10).fill('ok'));
      expect(report.phases[3]?.note).toBe('kill 1 device(s); reboot 1 device(s)');
      expect(report.errors.samples.some((e) => e.kind === 'download' && /503/.test(e.message))).toBe(true);
      expect(scraped[0]).toMatch(/^vfleet_load_devices\{scenario="faults"\} 4$/m);
      expect(scraped[0]).toMatch(/^vfleet_load_devices_updated\{scenario="faults"\} [1-4]$/m);
      expect(scraped[0]).toMatch(/^vfleet_load_time_to_update_seconds\{scenario="faults",quantile="0.95"\} \d/m);
      expect(scraped[0]).toMatch(/^vfleet_load_crashes_total\{scenario="faults"\} 1$/m);
      // the floor waits as long as it is told for the bytes the deleted devices freed, says so, and reports it
      expect(freed).toEqual([4 * 256 * 1024]);
      expect(said.filter((l) => l.startsWith('floor: '))).toEqual([expect.stringMatching(/^floor: waiting 0\.25 s first: /), `floor: hashing and writing ${256 * 1024} bytes × 4 devices`]);
      expect(report.floor).toMatchObject({ settledSeconds: 0.25, bytes: 4 * 256 * 1024, threads: expect.any(Number) });
    } finally {
      await endpoint.close();
    }
  }, 180_000);

  it('fails a wait that times out (exit 1), skips what follows and still tears down', async () => {
    const report = await run(`
name: timeout
phases:
  - provision: {count: 2, poll_interval: 1s}
  - ramp: {rate: 50/s}
  - wait: {until: all on 9.9.9, timeout: 1s}
  - steady: {duration: 1h}
thresholds:
  - errors == 0
`);
    expect(report.complete).toBe(true);
    expect(report.exitCode).toBe(1);
    expect(report.phases.map((p) => p.outcome)).toEqual(['ok', 'ok', 'timeout', 'skipped']);
    expect(report.checks).toEqual([{ name: 'wait until all on 9.9.9', pass: false, message: expect.stringMatching(/^0 of 2 after 1s$/) }]);
    expect(report.durationSeconds).toBeLessThan(30);
  }, 60_000);

  it('stops on abort (Ctrl-C): orderly teardown, a partial report marked incomplete, exit code 2', async () => {
    const controller = new AbortController();
    const t0 = Date.now();
    const report = await run(`
name: interrupted
phases:
  - provision: {count: 3, poll_interval: 500ms}
  - ramp: {rate: 50/s}
  - wait: {until: all online, timeout: 30s}
  - steady: {duration: 1h}
thresholds:
  - p99(poll_latency) < 10s
`, {
      signal: controller.signal,
      onSample: (live) => {
        if (live.phase.startsWith('steady') && live.collector.counters.polls >= 6) controller.abort();
      },
    });
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(report.complete).toBe(false);
    expect(report.incompleteReason).toBe('interrupted (Ctrl-C)');
    expect(report.exitCode).toBe(2);
    expect(report.phases.map((p) => [p.kind, p.outcome])).toEqual([['provision', 'ok'], ['ramp', 'ok'], ['wait', 'ok'], ['steady', 'interrupted']]);
    expect(report.metrics.poll_latency.count).toBeGreaterThanOrEqual(3);
    expect(report.thresholds[0]?.pass).toBe(true);
    expect(report.pass).toBe(false);
  }, 60_000);
});
