import type { LoadReport, MetricSummary } from './report.js';
import { Sketch } from './sketch.js';
import { barChart, esc, histogramChart, lineChart } from './svg-charts.js';
import { HISTOGRAMS, type HistogramName } from './thresholds.js';
import { formatByteRate, formatBytes, formatDuration } from './units.js';

const TITLES: Record<HistogramName, string> = {
  connect: 'Connect (start → device channel joined)',
  poll_latency: 'Poll latency (/update request → answer)',
  download_throughput: 'Download throughput per device',
  install: 'Install (installer start → plan finished)',
  reboot_to_online: 'Reboot to online',
  time_to_update: 'Time to update (release enabled → online on the new version)',
};

const fmt = (name: HistogramName) => (v: number) => (HISTOGRAMS[name] === 'duration' ? formatDuration(v) : formatByteRate(v));
const cell = (name: HistogramName, v: number | null) => (v === null ? '–' : fmt(name)(v));

function verdict(r: LoadReport): { text: string; cls: string } {
  if (!r.complete) return { text: 'INCOMPLETE', cls: 'incomplete' };
  return r.pass ? { text: 'PASS', cls: 'pass' } : { text: 'FAIL', cls: 'fail' };
}

function metricSection(name: HistogramName, m: MetricSummary): string {
  if (m.count === 0) return `<section class="metric"><h3>${esc(TITLES[name])}</h3><p class="muted">no samples</p></section>`;
  const sketch = Sketch.fromJSON(m.sketch);
  const markers = (['p50', 'p95', 'p99'] as const).filter((k) => m[k] !== null).map((k) => ({ name: k, value: m[k] as number }));
  return `<section class="metric"><h3>${esc(TITLES[name])}</h3>
${histogramChart(name, TITLES[name], sketch.bins(), markers, fmt(name))}
</section>`;
}

/** A self-contained HTML page: inline CSS and SVG, a CSP that forbids every fetch. */
export function htmlReport(r: LoadReport): string {
  const v = verdict(r);
  const names = Object.keys(HISTOGRAMS) as HistogramName[];
  const tl = r.timeline;
  const thresholdRows = r.thresholds
    .map((t) => `<tr class="${t.pass ? 'ok' : 'bad'}"><td>${t.pass ? '✔' : '✘'}</td><td><code>${esc(t.threshold)}</code></td><td>${esc(t.actualText)}</td></tr>`)
    .join('\n');
  const checkRows = r.checks.map((k) => `<tr class="${k.pass ? 'ok' : 'bad'}"><td>${k.pass ? '✔' : '✘'}</td><td>${esc(k.name)}</td><td>${esc(k.message)}</td></tr>`).join('\n');
  const metricRows = names
    .map((n) => {
      const m = r.metrics[n];
      return `<tr><td>${esc(n)}</td><td>${m.count}</td><td>${cell(n, m.p50)}</td><td>${cell(n, m.p90)}</td><td>${cell(n, m.p95)}</td><td>${cell(n, m.p99)}</td><td>${cell(n, m.max)}</td></tr>`;
    })
    .join('\n');
  const phaseRows = r.phases
    .map((p) => `<tr class="${p.outcome === 'ok' ? '' : 'bad'}"><td>${p.index + 1}</td><td>${esc(p.kind)}</td><td>${p.line || '–'}</td><td>${p.start.toFixed(1)}s</td><td>${formatDuration(p.seconds * 1000)}</td><td>${esc(p.outcome)}</td><td>${esc(p.note ?? '')}</td></tr>`)
    .join('\n');
  const ro = r.rollout;
  const rollout = ro.enabledAt === null
    ? '<p class="muted">no release was enabled in this run</p>'
    : `<table class="kv">
<tr><th>enabled</th><td>${esc(ro.enabledAt)}</td></tr>
<tr><th>devices updated</th><td>${r.devices.updated} of ${r.devices.provisioned}</td></tr>
<tr><th>enable → last device updated</th><td>${ro.seconds === null ? '–' : formatDuration(ro.seconds * 1000)}</td></tr>
<tr><th>bytes per device</th><td>${ro.bytesPerDevice === null ? 'unknown' : formatBytes(ro.bytesPerDevice)}</td></tr>
<tr><th>aggregate throughput</th><td>${ro.aggregateBytesPerSecond === null ? '–' : formatByteRate(ro.aggregateBytesPerSecond)}</td></tr>
${r.floor ? `<tr><th>floor (hash + write the same bytes, ${r.floor.threads} thread${r.floor.threads === 1 ? '' : 's'}${r.floor.settledSeconds > 0 ? `, ${r.floor.settledSeconds} s after the devices' files were deleted` : ''})</th><td>${formatDuration(r.floor.seconds * 1000)} · ${formatByteRate(r.floor.bytesPerSecond)}</td></tr>
<tr><th>rollout / floor</th><td>${r.floor.ratio === null ? '–' : `${r.floor.ratio.toFixed(2)}×`}</td></tr>` : ''}
</table>`;
  const errorItems = Object.entries(r.errors.byKind).sort((a, b) => b[1] - a[1]).map(([name, value]) => ({ name, value }));
  const samples = r.errors.samples.slice(-20).map((e) => `<tr><td>${esc(e.at.slice(11, 23))}</td><td>${esc(e.device)}</td><td>${esc(e.kind)}</td><td><code>${esc(e.message)}</code></td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vfleet load · ${esc(r.scenario.name)} · ${v.text}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 980px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; } h3 { font-size: 14px; margin: 16px 0 6px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: 600; margin-left: 8px; font-size: 14px; vertical-align: middle; }
.pass { background: #2a9d4b; } .fail { background: #c0392b; } .incomplete { background: #8e6c00; }
table { border-collapse: collapse; margin: 6px 0; } td, th { padding: 3px 10px 3px 0; text-align: left; vertical-align: top; } th { font-weight: 600; }
table.grid td, table.grid th { border-bottom: 1px solid #eee; padding-right: 14px; }
tr.bad td { color: #c0392b; } tr.ok td:first-child { color: #2a9d4b; }
.muted { color: #777; } code { font-size: 12px; } svg.chart { display: block; max-width: 100%; height: auto; background: #fff; }
.warning { background: #fff4d6; border: 1px solid #e0c060; padding: 8px 12px; border-radius: 4px; }
</style>
</head>
<body>
<header>
<h1>${esc(r.scenario.name)} <span class="badge ${v.cls}" id="verdict">${v.text}</span></h1>
<p class="muted">${esc(r.scenario.description ?? '')}</p>
<p>${esc(r.startedAt)} · ${formatDuration(r.durationSeconds * 1000)} · ${r.devices.provisioned} devices · runtime ${esc(r.scenario.runtime)} · backend ${esc(r.scenario.backend)}${r.scenario.release ? ` · release ${esc(r.scenario.release.name)} (${esc(r.scenario.release.version)})` : ''} · exit code ${r.exitCode}</p>
${r.complete ? '' : `<p class="warning">This run did not finish: ${esc(r.incompleteReason ?? '')}. Figures below cover only what was measured.</p>`}
</header>
<h2>Thresholds</h2>
${r.thresholds.length === 0 ? '<p class="muted">none</p>' : `<table class="grid"><tr><th></th><th>threshold</th><th>measured</th></tr>\n${thresholdRows}\n</table>`}
${r.checks.length === 0 ? '' : `<h3>Waits</h3><table class="grid"><tr><th></th><th>condition</th><th>result</th></tr>\n${checkRows}\n</table>`}
<h2>Fleet over time</h2>
${lineChart('timeline', 'devices online, updated and updating over time', tl.t, [
  { name: 'online', color: '#4a78c2', values: tl.online },
  { name: `on ${r.scenario.release?.version ?? 'target'}`, color: '#2a9d4b', values: tl.updated },
  { name: 'downloading/installing', color: '#e08a00', values: tl.updating },
], tl.marks, 'devices')}
${lineChart('errors', 'errors and crashes over time', tl.t, [
  { name: 'errors', color: '#c0392b', values: tl.errors },
  { name: 'crashes', color: '#8e44ad', values: tl.crashes },
], tl.marks, 'count (cumulative)')}
<h2>Rollout</h2>
${rollout}
<h2>Percentiles</h2>
<table class="grid"><tr><th>metric</th><th>samples</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th></tr>
${metricRows}
</table>
<h2>Distributions</h2>
${names.map((n) => metricSection(n, r.metrics[n])).join('\n')}
<h2>Errors</h2>
${barChart('error-kinds', 'errors by kind', errorItems)}
${samples === '' ? '' : `<table class="grid"><tr><th>time</th><th>device</th><th>kind</th><th>message</th></tr>\n${samples}\n</table>`}
<h2>Phases</h2>
<table class="grid"><tr><th>#</th><th>phase</th><th>line</th><th>start</th><th>took</th><th>outcome</th><th>note</th></tr>
${phaseRows}
</table>
<p class="muted">vfleet load report · schema ${esc(r.schema)}${r.scenario.file ? ` · ${esc(r.scenario.file)}` : ''}</p>
</body>
</html>
`;
}
