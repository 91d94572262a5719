import type { DeviceStatus } from '@vfleet/simulator';
import { ago, cell, progressBar } from '../format.js';

export interface Column {
  key: string;
  title: string;
  width: number;
  /** Lower keeps its place longer when the terminal is narrow. */
  priority: number;
  /** Takes the columns left over, up to `max`. */
  grow?: { min: number; max: number };
  value(d: DeviceStatus, now: number, width: number): string;
  align?: 'right';
}

/** One word for a device's state: its phase while the agent runs, else the run state. */
export function stateWord(d: DeviceStatus): string {
  return d.run === 'running' ? d.phase : d.run;
}

/** `22→127.0.0.1:41022` as `22→:41022`; the agent's `<prn> <interface>` as the interface name. */
export function tunnelText(tunnel: string | undefined): string {
  if (tunnel === undefined) return '';
  const agent = /^prn:\S+ (\S+)$/.exec(tunnel);
  if (agent) return agent[1] as string;
  return tunnel.startsWith('prn:') ? 'open' : tunnel.replace('127.0.0.1:', ':');
}

/** A log level prefix (`[info] `) says little in a one-line cell. */
const LEVEL = /^\[(?:debug|info|notice|warn|warning|error)\]\s*/i;

export const COLUMNS: Column[] = [
  { key: 'id', title: 'DEVICE', width: 11, priority: 0, value: (d) => d.id },
  { key: 'tags', title: 'TAGS', width: 8, priority: 2, value: (d) => (d.tags && d.tags.length > 0 ? d.tags.join(',') : (d.cohort ?? '-')) },
  { key: 'runtime', title: 'RUNTIME', width: 7, priority: 6, value: (d) => d.runtime },
  { key: 'state', title: 'STATE', width: 11, priority: 0, value: stateWord },
  { key: 'version', title: 'VERSION', width: 8, priority: 0, value: (d) => d.version ?? '-' },
  { key: 'slot', title: 'S', width: 1, priority: 3, value: (d) => d.slot ?? '-' },
  {
    key: 'progress', title: 'PROGRESS', width: 11, priority: 1,
    value: (d, _now, w) => (d.phase === 'downloading' || d.phase === 'installing' ? progressBar(d.progress ?? 0, w) : ''),
  },
  { key: 'seen', title: 'SEEN', width: 4, priority: 4, align: 'right', value: (d, now) => ago(d.lastSeen, now) },
  { key: 'tunnel', title: 'TUNNEL', width: 9, priority: 5, grow: { min: 9, max: 16 }, value: (d) => tunnelText(d.tunnel) },
  { key: 'log', title: 'LAST LOG', width: 10, priority: 7, grow: { min: 10, max: 200 }, value: (d) => d.error ?? (d.lastLog ?? '').replace(LEVEL, '') },
];

/** Columns that fit `width` (after the 2-column marker), growing the flexible ones into what is left. */
export function layoutColumns(width: number, columns: Column[] = COLUMNS): Column[] {
  const avail = width - 2;
  const byPriority = [...columns].sort((a, b) => a.priority - b.priority);
  const chosen: Column[] = [];
  let used = 0;
  for (const c of byPriority) {
    const need = (chosen.length > 0 ? 1 : 0) + (c.grow?.min ?? c.width);
    if (used + need > avail) continue;
    chosen.push(c);
    used += need;
  }
  let spare = avail - used;
  const out = columns.filter((c) => chosen.includes(c)).map((c) => ({ ...c, width: c.grow?.min ?? c.width }));
  for (const c of out) {
    if (!c.grow || spare <= 0) continue;
    const extra = Math.min(spare, c.grow.max - c.width);
    c.width += extra;
    spare -= extra;
  }
  return out;
}

export function headerLine(columns: Column[]): string {
  return `  ${columns.map((c) => cell(c.title, c.width, c.align === 'right' ? 'right' : 'left')).join(' ')}`;
}

export function rowLine(d: DeviceStatus, columns: Column[], now: number, marked: boolean): string {
  return `${marked ? '●' : ' '} ${columns.map((c) => cell(c.value(d, now, c.width), c.width, c.align === 'right' ? 'right' : 'left')).join(' ')}`;
}
