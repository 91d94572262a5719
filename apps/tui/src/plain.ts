import type { DeviceStatus } from '@vfleet/simulator';

/** The fleet as a plain-text table (the line-based output when stdout is not a terminal). */
export function plainTable(devices: readonly DeviceStatus[]): string {
  const table = [
    ['DEVICE', 'TAGS', 'RUN', 'PHASE', 'BOOTS', 'SLOT', 'VERSION', 'LAST LOG'],
    ...devices.map((d) => [
      d.id, d.tags?.join(',') || '-', d.run, d.phase, String(d.boots), d.slot ?? '-', d.version ?? '-', (d.error ?? d.lastLog ?? '').slice(0, 60),
    ]),
  ];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? [];
  return table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}
