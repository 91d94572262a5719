import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import type { LoadReport } from './report.js';
import { htmlReport } from './report-html.js';
import { junitReport } from './report-junit.js';
import { writeFileAtomic } from './write-atomic.js';

export interface ReportFiles {
  json: string;
  junit: string;
  html: string;
}

/** `<name>.json`, `<name>.junit.xml`, `<name>.html` in `dir`, each written atomically. */
export function reportPaths(dir: string, name: string): ReportFiles {
  return { json: join(dir, `${name}.json`), junit: join(dir, `${name}.junit.xml`), html: join(dir, `${name}.html`) };
}

export function writeReports(dir: string, r: LoadReport): ReportFiles {
  const files = reportPaths(dir, r.scenario.name);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(files.json, `${JSON.stringify(r, null, 2)}\n`);
    writeFileAtomic(files.junit, junitReport(r));
    writeFileAtomic(files.html, htmlReport(r));
  } catch (cause) {
    throw new VfleetError('VFLEET_IO', `reports in ${dir}: ${(cause as Error).message}`, { cause });
  }
  return files;
}
