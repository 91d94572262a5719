import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

/**
 * Checks, without creating anything, that the reports of scenario `name` can be written in `dir`
 * (or in the folder that would be made for it): called before a run, so that its results are not
 * lost to a folder that cannot take them.
 */
export function checkReportTargets(dir: string, name: string): void {
  let existing = resolve(dir);
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const fail = (why: string): never => {
    throw new VfleetError('VFLEET_IO', `reports in ${dir}: ${why}`);
  };
  if (!statSync(existing).isDirectory()) fail(`${existing} is not a folder`);
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    fail(`${existing} is not writable`);
  }
  if (existing !== resolve(dir)) return;
  for (const file of Object.values(reportPaths(dir, name))) {
    if (existsSync(file) && !statSync(file).isFile()) fail(`${file} exists and is not a file`);
  }
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
