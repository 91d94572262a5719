import type { LoadReport } from './report.js';

/** XML 1.0's Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
const xmlChar = (cp: number) =>
  cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);

// anything else (C0 controls, U+FFFE, U+FFFF, lone surrogates) becomes U+FFFD, so the reader sees something was there
const escape = (s: string) =>
  Array.from(s, (c) => (xmlChar(c.codePointAt(0) ?? 0) ? c : '\uFFFD')).join('').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);

/**
 * JUnit XML for CI: one testsuite per run, one testcase per threshold (and per wait check); a run
 * that could not finish adds an errored case so CI never reads a partial run as green.
 */
export function junitReport(r: LoadReport): string {
  const suite = `vfleet load ${r.scenario.name}`;
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  for (const t of r.thresholds) {
    const body = t.pass ? '' : `\n      <failure message="${escape(`measured ${t.actualText}`)}" type="threshold">${escape(t.message)}</failure>\n    `;
    if (!t.pass) failures++;
    cases.push(`    <testcase classname="${escape(`${suite}.thresholds`)}" name="${escape(t.threshold)}" time="${r.durationSeconds}">${body}</testcase>`);
  }
  for (const k of r.checks) {
    const body = k.pass ? '' : `\n      <failure message="${escape(k.message)}" type="wait">${escape(`${k.name}: ${k.message}`)}</failure>\n    `;
    if (!k.pass) failures++;
    cases.push(`    <testcase classname="${escape(`${suite}.checks`)}" name="${escape(k.name)}" time="0">${body}</testcase>`);
  }
  if (!r.complete) {
    errors++;
    cases.push(`    <testcase classname="${escape(`${suite}.run`)}" name="run complete" time="${r.durationSeconds}">\n      <error message="${escape(r.incompleteReason ?? 'incomplete')}" type="incomplete"/>\n    </testcase>`);
  }
  const props = [
    ['devices.provisioned', r.devices.provisioned],
    ['devices.updated', r.devices.updated],
    ['complete', r.complete],
    ['report.schema', r.schema],
  ]
    .map(([k, v]) => `      <property name="${escape(String(k))}" value="${escape(String(v))}"/>`)
    .join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="vfleet load" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${r.durationSeconds}">`,
    `  <testsuite name="${escape(suite)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="${r.durationSeconds}" timestamp="${r.startedAt}">`,
    '    <properties>',
    props,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
