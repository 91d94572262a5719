import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from './parse-scenario.js';
import { buildReport } from './build-report.js';
import { MetricsCollector } from './collector.js';
import type { LoadReport } from './report.js';
import { checkReportTargets, writeReports } from './write-reports.js';

// faults to inject: a disk with `free` bytes left (a short write, then ENOSPC) and a rename that fails on call `failRename`
const fault = vi.hoisted(() => ({ free: Infinity, renames: 0, failRename: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const writeSync = (fd: number, buf: Uint8Array, offset = 0, length = buf.length - offset): number => {
    if (fault.free <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    const n = real.writeSync(fd, buf, offset, Math.min(length, fault.free));
    fault.free -= n;
    return n;
  };
  const renameSync = (from: string, to: string): void => {
    if (++fault.renames === fault.failRename) throw Object.assign(new Error(`EIO: i/o error, rename '${from}' -> '${to}'`), { code: 'EIO' });
    real.renameSync(from, to);
  };
  return { ...real, writeSync, renameSync };
});

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(join(tmpdir(), 'vfleet-write-reports-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  Object.assign(fault, { free: Infinity, renames: 0, failRename: 0 });
});

/** The report of an empty run. */
function report(): LoadReport {
  return buildReport({
    scenario: parseScenario('name: unit\nphases: [teardown]\n', 'unit.yaml'), startedAt: 0, finishedAt: 10_000, collector: new MetricsCollector(() => undefined),
    phases: [], checks: [], timeline: { intervalMs: 1000, t: [], online: [], updated: [], updating: [], errors: [], crashes: [], marks: [] },
    incompleteReason: null, bytesPerDevice: 0, floor: null,
  });
}

/** A folder holding the previous run's three reports. */
function previousRun(): string {
  const dir = fs.mkdtempSync(join(root, 'out-'));
  for (const f of ['unit.json', 'unit.junit.xml', 'unit.html']) fs.writeFileSync(join(dir, f), `old ${f}`);
  return dir;
}

const contents = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(join(dir, f), 'utf8').slice(0, 4)]));

describe('writeReports', () => {
  it('replaces all three reports of the previous run', () => {
    const dir = previousRun();
    writeReports(dir, report());
    expect(contents(dir)).toEqual({ 'unit.html': '<!do', 'unit.json': '{\n  ', 'unit.junit.xml': '<?xm' });
  });

  it('on a full disk part way replaces none of the previous reports, says so and leaves no temp file', () => {
    const dir = previousRun();
    fault.free = JSON.stringify(report(), null, 2).length + 200; // the JSON fits, the JUnit does not
    expect(() => writeReports(dir, report())).toThrow(
      `reports in ${dir}: ${join(dir, 'unit.junit.xml')}: cannot write: ENOSPC: no space left on device, write; no report was replaced`,
    );
    expect(contents(dir)).toEqual({ 'unit.html': 'old ', 'unit.json': 'old ', 'unit.junit.xml': 'old ' });
  });

  it('when a rename fails says which reports are new and which are left from before', () => {
    const dir = previousRun();
    fault.failRename = 2;
    expect(() => writeReports(dir, report())).toThrow(
      new RegExp(`^reports in ${dir}: ${join(dir, 'unit.junit.xml')}: cannot replace: EIO: .*; unit.json new, unit.junit.xml, unit.html left as before$`),
    );
    expect(contents(dir)).toEqual({ 'unit.html': 'old ', 'unit.json': '{\n  ', 'unit.junit.xml': 'old ' });
  });
});

describe('checkReportTargets', () => {
  const fails = (dir: string) => {
    try {
      checkReportTargets(dir, 'unit');
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };

  it('refuses a dangling link, or a link to a file, as --out or on its way, naming it', () => {
    const dir = fs.mkdtempSync(join(root, 'links-'));
    fs.symlinkSync(join(dir, 'gone'), join(dir, 'dangling'));
    fs.writeFileSync(join(dir, 'file'), '');
    fs.symlinkSync(join(dir, 'file'), join(dir, 'to-file'));
    fs.mkdirSync(join(dir, 'real'));
    fs.symlinkSync(join(dir, 'real'), join(dir, 'to-dir'));
    expect(fails(join(dir, 'dangling'))).toBe(`reports in ${dir}/dangling: ${dir}/dangling is a link to ${dir}/gone, which does not exist`);
    expect(fails(join(dir, 'dangling', 'sub'))).toBe(`reports in ${dir}/dangling/sub: ${dir}/dangling is a link to ${dir}/gone, which does not exist`);
    expect(fails(join(dir, 'to-file'))).toBe(`reports in ${dir}/to-file: ${dir}/to-file is a link to ${dir}/file, which is not a folder`);
    expect(fails(join(dir, 'to-dir'))).toBe('accepted');
    expect(fails(join(dir, 'to-dir', 'new', 'sub'))).toBe('accepted');
    expect(fails(join(dir, 'file', 'sub'))).toBe(`reports in ${dir}/file/sub: ${dir}/file is not a folder`);
  });
});
