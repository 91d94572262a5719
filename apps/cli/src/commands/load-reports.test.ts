import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Simulator from '@vfleet/simulator';
import type { LoadReport } from '@vfleet/simulator';
import { main } from '../cli.js';

// the run is faked; what is under test is what the command does with its results when --out fails them
const run = vi.hoisted(() => ({ during: () => {} }));
vi.mock('@vfleet/simulator', async (importOriginal) => {
  const real = await importOriginal<typeof Simulator>();
  const runLoad = async (): Promise<LoadReport> => {
    run.during();
    return { scenario: { name: 'q' }, complete: true, pass: true, exitCode: 0, devices: { provisioned: 1, updated: 1 }, durationSeconds: 1, thresholds: [], checks: [] } as unknown as LoadReport;
  };
  const writeReports = (dir: string, r: LoadReport) => {
    mkdirSync(dir, { recursive: true });
    const files = real.reportPaths(dir, r.scenario.name);
    for (const f of Object.values(files)) writeFileSync(f, 'report');
    return files;
  };
  return { ...real, runLoad, writeReports };
});

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-cli-load-reports-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('vfleet load, reports after the run', () => {
  it('when --out cannot take them, writes them to a fresh temp folder, says where in one line and exits 2', async () => {
    const out = join(root, 'out');
    mkdirSync(out);
    // --out passes the check before the run, then becomes a file while the devices run
    run.during = () => {
      rmSync(out, { recursive: true });
      writeFileSync(out, '');
    };
    const err: string[] = [];
    const log: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
    vi.spyOn(console, 'log').mockImplementation((line: string) => void log.push(line));
    const code = await main(['--home', join(root, 'home'), 'load', '--name', 'q', '--devices', '1', '--out', out]);
    expect(err).toHaveLength(1);
    const spare = /^vfleet: .*; the reports are in (\S+) instead$/.exec(err[0] ?? '')?.[1];
    expect(spare?.startsWith(join(tmpdir(), 'vfleet-reports-'))).toBe(true);
    try {
      expect(readdirSync(spare as string).sort()).toEqual(['q.html', 'q.json', 'q.junit.xml']);
      expect(log.at(-1)).toBe(`reports: ${join(spare as string, 'q.json')} ${join(spare as string, 'q.junit.xml')} ${join(spare as string, 'q.html')}`);
      expect(code).toBe(2);
    } finally {
      rmSync(spare as string, { recursive: true, force: true });
    }
  });
});
