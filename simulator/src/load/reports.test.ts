import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceEvent, DeviceStatus } from '../fleet/types.js';
import { buildReport } from './build-report.js';
import { MetricsCollector } from './collector.js';
import { parseScenario } from './parse-scenario.js';
import { metricsText } from './prometheus.js';
import { htmlReport } from './report-html.js';
import { junitReport } from './report-junit.js';
import type { LoadReport } from './report.js';
import { writeReports } from './write-reports.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-load-reports-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A collector fed a scripted event stream for two devices (D1 updates with a reboot; D2 fails a download once). */
function scripted() {
  const status = new Map<string, DeviceStatus>([
    ['D1', { id: 'D1', runtime: 'inproc', run: 'running', phase: 'online', boots: 1, crashes: 0, version: '1.1.0' }],
    ['D2', { id: 'D2', runtime: 'inproc', run: 'running', phase: 'online', boots: 1, crashes: 0, version: '1.1.0' }],
  ]);
  const c = new MetricsCollector((id) => status.get(id));
  c.provisioned(2);
  c.targetVersion = '2.0.0';
  c.releaseBytes = 10 * 1024 * 1024;
  const ev = (at: number, id: string, kind: DeviceEvent['kind'], data?: DeviceEvent['data'], line?: string) =>
    c.onEvent({ at: T0 + at, id, kind, ...(data ? { data } : {}), ...(line ? { line } : {}) });
  c.startRequested('D1', T0);
  c.startRequested('D2', T0 + 100);
  ev(50, 'D1', 'started');
  ev(400, 'D1', 'connected');
  ev(600, 'D2', 'connected');
  ev(1000, 'D1', 'checking');
  ev(1020, 'D1', 'no-update');
  ev(1000, 'D2', 'checking');
  ev(1090, 'D2', 'no-update');
  c.enabledAt = T0 + 2000;
  ev(3000, 'D1', 'checking');
  ev(3010, 'D1', 'update-available');
  ev(3020, 'D1', 'downloading', { binary: 'b', mode: 'INIT', attempt: 0 });
  ev(3500, 'D1', 'installing', { binary: 'b' });
  ev(4020, 'D1', 'installed');
  ev(4100, 'D1', 'rebooting');
  ev(4200, 'D1', 'exited', { code: 100, reboot: true });
  (status.get('D1') as DeviceStatus).version = '2.0.0';
  ev(5200, 'D1', 'started');
  ev(5700, 'D1', 'connected');
  ev(3000, 'D2', 'checking');
  ev(3005, 'D2', 'update-available');
  ev(3010, 'D2', 'downloading', { binary: 'b', mode: 'INIT', attempt: 0 });
  ev(3050, 'D2', 'error', { binary: 'b', message: 'http_error 503 from http://x/binaries/b?[FILTERED]' }, '[Installer b] Error http_error 503');
  ev(3051, 'D2', 'error', { message: '[Plan Server] Error processing step http_error 503' });
  ev(3052, 'D2', 'error', { message: 'plan finished with errors' });
  c.injectedKill('D2');
  ev(3100, 'D2', 'error', { message: '[Cloud Server] error checking for update This operation was aborted' });
  ev(3200, 'D2', 'crashed', { reason: 'killed' });
  return c;
}

function report(over: Partial<Parameters<typeof buildReport>[0]> = {}): LoadReport {
  const scenario = parseScenario('name: unit\nrelease: {name: r2, version: 2.0.0}\nphases: [teardown]\nthresholds:\n  - updated == 1\n  - p50(connect) < 1s\n  - errors == 0\n  - "errors{download} == 1"\n', 'unit.yaml');
  return buildReport({
    scenario, startedAt: T0, finishedAt: T0 + 10_000, collector: scripted(), phases: [], checks: [{ name: 'wait until all on 2.0.0', pass: true, message: '1 of 1' }],
    timeline: { intervalMs: 1000, t: [1, 2], online: [2, 2], updated: [0, 1], updating: [0, 1], errors: [0, 1], crashes: [0, 1], marks: [{ t: 0, label: 'provision <&>' }] },
    incompleteReason: null, bytesPerDevice: 10 * 1024 * 1024, floor: null, ...over,
  });
}

describe('metrics from device events', () => {
  it('measures each interval, counts one error per failed update and none for an injected kill', () => {
    const r = report();
    expect(r.metrics.connect).toMatchObject({ count: 2, min: 400, max: 500 });
    expect(r.metrics.poll_latency).toMatchObject({ count: 4, min: 5, max: 90 });
    expect(r.metrics.install).toMatchObject({ count: 1, min: 520, max: 520 });
    expect(r.metrics.reboot_to_online).toMatchObject({ count: 1, min: 1600, max: 1600 });
    expect(r.metrics.time_to_update).toMatchObject({ count: 1, min: 3700, max: 3700 });
    expect(r.metrics.download_throughput.count).toBe(1);
    expect(r.metrics.download_throughput.min).toBeCloseTo((10 * 1024 * 1024) / 1, 0);
    expect(r.counters).toMatchObject({ errors: 1, crashes: 1, updated: 1, reboots: 1, connects: 3, polls: 4, devices: 2 });
    expect(r.errors.byKind).toEqual({ download: 1 });
    expect(r.rollout).toMatchObject({ seconds: 3.7, bytesPerDevice: 10 * 1024 * 1024, aggregateBytesPerSecond: Math.round((10 * 1024 * 1024) / 3.7) });
    expect(r.thresholds.map((t) => [t.threshold, t.pass])).toEqual([['updated == 1', true], ['p50(connect) < 1s', true], ['errors == 0', false], ['errors{download} == 1', true]]);
    expect([r.pass, r.exitCode]).toEqual([false, 1]);
  });
});

describe('reports', () => {
  it('JUnit: one case per threshold and wait, failures carry the measured value, XML-escaped', () => {
    const xml = junitReport(report());
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="vfleet load" tests="5" failures="1" errors="0" time="10">/);
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml).toContain('<testcase classname="vfleet load unit.thresholds" name="p50(connect) &lt; 1s" time="10"></testcase>');
    expect(xml).toMatch(/<testcase classname="vfleet load unit.thresholds" name="errors == 0" time="10">\s*<failure message="measured 1" type="threshold">errors == 0: failed, measured 1<\/failure>/);
    expect(xml).toContain('<testcase classname="vfleet load unit.checks" name="wait until all on 2.0.0" time="0"></testcase>');
  });

  it('JUnit keeps to XML 1.0 characters: others (controls, U+FFFE, U+FFFF, lone surrogates) become U+FFFD', () => {
    const r = report();
    r.scenario.name = 'r\u0001\uFFFE\uFFFF\uD800x\uDC00\t\u{1F600}\uD7FF\uE000';
    const xml = junitReport(r);
    expect(xml).toContain('<testsuite name="vfleet load r\uFFFD\uFFFD\uFFFD\uFFFDx\uFFFD\t\u{1F600}\uD7FF\uE000" ');
    // the whole document, as code points, against the XML 1.0 Char production
    const bad = [...xml].map((c) => c.codePointAt(0) ?? 0).filter((cp) => !(cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000));
    expect(bad).toEqual([]);
  });

  it('JUnit and HTML mark an incomplete run so CI never reads it as green', () => {
    const r = report({ incompleteReason: 'interrupted (Ctrl-C)' });
    expect([r.complete, r.pass, r.exitCode]).toEqual([false, false, 2]);
    const xml = junitReport(r);
    expect(xml).toMatch(/errors="1"/);
    expect(xml).toContain('<error message="interrupted (Ctrl-C)" type="incomplete"/>');
    const html = htmlReport(r);
    expect(html).toContain('<span class="badge incomplete" id="verdict">INCOMPLETE</span>');
    expect(html).toContain('This run did not finish: interrupted (Ctrl-C).');
  });

  it('HTML is self-contained: no script, no external reference, a CSP that forbids fetches, escaped text', () => {
    const html = htmlReport(report());
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|@import|url\(|\ssrc=|\shref=/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).toContain('provision &lt;&amp;&gt;');
    expect(html.match(/<svg class="chart"/g)?.length).toBe(2 + 6 + 1); // timeline, errors, six metrics with samples, error kinds
  });

  it('writes the three files atomically, leaving no temp files', () => {
    const files = writeReports(join(root, 'out'), report());
    expect(readdirSync(join(root, 'out')).sort()).toEqual(['unit.html', 'unit.json', 'unit.junit.xml']);
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toMatchObject({ schema: 'vfleet.load-report/1', scenario: { name: 'unit', file: 'unit.yaml' } });
    writeFileSync(join(root, 'a-file'), '');
    expect(() => writeReports(join(root, 'a-file', 'out'), report())).toThrow(/^reports in .*a-file\/out: ENOTDIR/);
  });

  it('Prometheus text and OpenMetrics expositions', () => {
    const collector = scripted();
    const live = { elapsedSeconds: 12, phase: 'wait', provisioned: 2, online: 1, updated: 1, updating: 0, targetVersion: '2.0.0', collector };
    const text = metricsText(live, 'unit', false);
    expect(text).toContain('# TYPE vfleet_load_errors_total counter\nvfleet_load_errors_total{scenario="unit",kind="download"} 1\n');
    expect(text).toContain('vfleet_load_time_to_update_seconds{scenario="unit",quantile="0.5"} 3.7');
    expect(text).toContain('vfleet_load_time_to_update_seconds_count{scenario="unit"} 1');
    expect(text).toContain('vfleet_load_reboot_to_online_seconds_sum{scenario="unit"} 1.6');
    expect(text.endsWith('# EOF\n')).toBe(false);
    const om = metricsText(live, 'unit', true);
    expect(om).toContain('# TYPE vfleet_load_errors counter\nvfleet_load_errors_total{scenario="unit",kind="download"} 1\n');
    expect(om.endsWith('# EOF\n')).toBe(true);
  });
});
