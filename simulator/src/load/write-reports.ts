import { accessSync, constants, lstatSync, mkdirSync, readlinkSync, rmSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { VfleetError } from '@vfleet/core';
import type { LoadReport } from './report.js';
import { htmlReport } from './report-html.js';
import { junitReport } from './report-junit.js';
import { commitTemp, writeTemp } from './write-atomic.js';

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
  const fail = (why: string): never => {
    throw new VfleetError('VFLEET_IO', `reports in ${dir}: ${why}`);
  };
  // lstat, not exists: a dangling link looks absent to exists, yet mkdir cannot pass through it
  let existing = resolve(dir);
  let found = lstatOrUndefined(existing);
  while (found === undefined && dirname(existing) !== existing) {
    existing = dirname(existing);
    found = lstatOrUndefined(existing);
  }
  if (found?.isSymbolicLink()) {
    const target = statOrUndefined(existing);
    if (target === undefined) fail(`${existing} is a link to ${readlinkSync(existing)}, which does not exist`);
    else if (!target.isDirectory()) fail(`${existing} is a link to ${readlinkSync(existing)}, which is not a folder`);
  } else if (!found?.isDirectory()) fail(`${existing} is not a folder`);
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    fail(`${existing} is not writable`);
  }
  if (existing !== resolve(dir)) return;
  for (const file of Object.values(reportPaths(dir, name))) {
    const st = statOrUndefined(file);
    if (st !== undefined && !st.isFile()) fail(`${file} exists and is not a file`);
  }
}

// like existsSync, any failure (ENOENT, ENOTDIR under a file, EACCES, ELOOP) counts as absent
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Writes the three reports so that either all of them are new or the error says which are not:
 * every temp file is written and fsynced before the first rename, so a full disk replaces nothing.
 */
export function writeReports(dir: string, r: LoadReport): ReportFiles {
  const files = reportPaths(dir, r.scenario.name);
  const fail = (why: string, cause: unknown): never => {
    throw new VfleetError('VFLEET_IO', `reports in ${dir}: ${why}`, { cause });
  };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    fail((cause as Error).message, cause);
  }
  const contents: [string, string][] = [
    [files.json, `${JSON.stringify(r, null, 2)}\n`],
    [files.junit, junitReport(r)],
    [files.html, htmlReport(r)],
  ];
  const temps: [temp: string, file: string][] = [];
  try {
    for (const [file, content] of contents) temps.push([writeTemp(file, content), file]);
  } catch (cause) {
    for (const [temp] of temps) rmSync(temp, { force: true });
    fail(`${(cause as Error).message}; no report was replaced`, cause);
  }
  const names = (list: [string, string][]) => list.map(([, file]) => basename(file)).join(', ');
  temps.forEach(([temp, file], i) => {
    try {
      commitTemp(temp, file);
    } catch (cause) {
      for (const [rest] of temps.slice(i + 1)) rmSync(rest, { force: true });
      const replaced = i === 0 ? '' : `${names(temps.slice(0, i))} new, `;
      fail(`${(cause as Error).message}; ${replaced}${names(temps.slice(i))} left as before`, cause);
    }
  });
  return files;
}
