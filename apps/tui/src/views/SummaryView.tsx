import { Box, Text } from 'ink';
import type { FleetSnapshot, RolloutSample } from '../store/fleet-store.js';
import { compareVersionsDesc, newestVersion } from '../store/summary.js';
import { barChart, cell, hbar } from '../format.js';

export interface SummaryViewProps {
  snapshot: FleetSnapshot;
  width: number;
  height: number;
}

/** Share of the fleet on `version` per sample, bucketed to `width` points (last sample of each bucket). */
export function rolloutSeries(history: RolloutSample[], version: string, width: number): number[] {
  if (history.length === 0 || width <= 0) return [];
  const step = Math.max(1, Math.ceil(history.length / width));
  const out: number[] = [];
  for (let i = history.length - 1; i >= 0 && out.length < width; i -= step) {
    const s = history[i] as RolloutSample;
    out.unshift(s.total > 0 ? (s.versions[version] ?? 0) / s.total : 0);
  }
  return out;
}

/** Counts by state, the version distribution and the rollout of the newest version over time. */
export function SummaryView({ snapshot, width, height }: SummaryViewProps) {
  const { summary, history } = snapshot;
  const total = summary.total;
  const runs = Object.entries(summary.byRun).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  const phases = Object.entries(summary.byPhase).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  const versions = Object.entries(summary.versions).sort((a, b) => compareVersionsDesc(a[0], b[0]));
  const target = newestVersion(summary.versions);
  const half = Math.floor((width - 2) / 2);
  const stateRows = Math.max(runs.length, phases.length);
  const barWidth = Math.max(5, width - 30);
  const versionRows = versions.slice(0, Math.max(1, height - stateRows - 8));
  const series = target ? rolloutSeries(history, target, width - 8) : [];
  // the chart takes what the counts leave, 1 to 8 rows
  const chartRows = Math.max(1, Math.min(8, height - stateRows - versionRows.length - 6));
  const chart = barChart(series, chartRows);
  const onTarget = target ? (summary.versions[target] ?? 0) : 0;
  const span = history.length > 1 ? Math.round(((history.at(-1)?.at ?? 0) - (history[0]?.at ?? 0)) / 1000) : 0;
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{cell(`RUN STATE (${total} devices)`, half)}  {'PHASE'}</Text>
      {Array.from({ length: stateRows }, (_, i) => {
        const r = runs[i];
        const p = phases[i];
        return (
          <Text key={i}>
            {cell(r ? `  ${cell(r[0], 11)} ${String(r[1]).padStart(6)}` : '', half)}  {p ? `  ${cell(p[0], 11)} ${String(p[1]).padStart(6)}` : ''}
          </Text>
        );
      })}
      <Text> </Text>
      <Text bold>VERSIONS</Text>
      {versionRows.map(([v, n]) => (
        <Text key={v}>
          {'  '}{cell(v, 10)} {String(n).padStart(6)} {cell(`${total > 0 ? Math.round((n / total) * 100) : 0}%`, 4, 'right')} <Text color={v === target ? 'green' : 'gray'}>{hbar(n, total, barWidth)}</Text>
        </Text>
      ))}
      <Text> </Text>
      <Text bold>{cell(target ? `ROLLOUT of ${target}: ${onTarget}/${total} (${total > 0 ? Math.round((onTarget / total) * 100) : 0}%) over ${span}s` : 'ROLLOUT: no version reported yet', width)}</Text>
      {target
        ? chart.map((line, i) => (
            <Text key={`c${i}`}>
              {i === 0 ? '100% ┤' : i === chart.length - 1 ? '  0% ┤' : '     │'}
              <Text color="green">{line}</Text>
            </Text>
          ))
        : null}
    </Box>
  );
}
