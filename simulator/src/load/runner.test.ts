import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir } from '../fixtures-path.js';
import { readScenario } from './parse-scenario.js';
import { runLoad } from './runner.js';
import { writeReports } from './write-reports.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-load-runner-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('runLoad', () => {
  it('runs evk-canary against the embedded backend: canaries first, then everyone, all thresholds met', async () => {
    const scenario = readScenario(join(fixturesDir, 'scenarios', 'evk-canary.yaml'));
    const lines: string[] = [];
    const report = await runLoad({ scenario, home: join(root, 'unused-home'), workDir: join(root, 'canary'), say: (l) => lines.push(l) });
    const files = writeReports(join(root, 'out'), report);
    console.log(lines.join('\n'));
    console.log(JSON.stringify({ ...report, timeline: undefined, metrics: Object.fromEntries(Object.entries(report.metrics).map(([k, m]) => [k, { ...m, sketch: undefined }])) }, null, 1));
    expect(report.complete).toBe(true);
    expect(report.devices).toEqual({ provisioned: 6, updated: 6 });
    expect(report.thresholds.map((t) => [t.threshold, t.pass])).toEqual(scenario.thresholds.map((t) => [t.text, true]));
    expect(report.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(files.json, 'utf8')).schema).toBe('vfleet.load-report/1');
  }, 240_000);
});
