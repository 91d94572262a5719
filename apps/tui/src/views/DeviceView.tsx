import { Box, Text } from 'ink';
import type { DeviceEvent, DeviceStatus } from '@vfleet/simulator';
import { ago, cell, progressBar } from '../format.js';
import { stateWord } from './columns.js';
import { eventText } from './EventsView.js';

/** What the device's own files say: its U-Boot env and its A/B disk. */
export interface DeviceDetails {
  dir: string;
  env: Array<[string, string]>;
  slots: Array<{ name: string; offset: number; size: number; content: string; active: boolean }>;
  notes: string[];
}

export const DEVICE_SECTIONS = ['logs', 'env', 'disk', 'events'] as const;
export type DeviceSection = (typeof DEVICE_SECTIONS)[number];

export interface DeviceViewProps {
  id: string;
  device?: DeviceStatus | undefined;
  section: DeviceSection;
  /** Lines scrolled up from the end; 0 follows. */
  scroll: number;
  logs: { lines: string[]; error?: string };
  details?: { value?: DeviceDetails; error?: string } | undefined;
  events: DeviceEvent[];
  width: number;
  height: number;
  now: number;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;

/** Lines of the chosen section, before windowing. */
function sectionLines(p: DeviceViewProps): { lines: string[]; empty: string } {
  switch (p.section) {
    case 'logs':
      return { lines: p.logs.error ? [p.logs.error, ...p.logs.lines] : p.logs.lines, empty: 'no log lines yet' };
    case 'env': {
      if (!p.details) return { lines: [], empty: 'env: not available for this fleet' };
      if (p.details.error) return { lines: [`env: ${p.details.error}`], empty: '' };
      const env = p.details.value?.env ?? [];
      const w = Math.min(36, Math.max(0, ...env.map(([k]) => k.length)));
      return { lines: env.map(([k, v]) => `${cell(k, w)} = ${v}`), empty: p.details.value ? 'the env is empty' : 'reading the env…' };
    }
    case 'disk': {
      if (!p.details) return { lines: [], empty: 'disk: not available for this fleet' };
      if (p.details.error) return { lines: [`disk: ${p.details.error}`], empty: '' };
      const v = p.details.value;
      if (!v) return { lines: [], empty: 'reading the disk…' };
      return {
        lines: [
          `directory ${v.dir}`,
          ...v.slots.map((s) => `${s.active ? '▶' : ' '} ${cell(s.name, 9)} @${cell(mib(s.offset), 10)} ${cell(mib(s.size), 10)} ${s.content}`),
          ...v.notes,
        ],
        empty: '',
      };
    }
    case 'events':
      return { lines: p.events.map(eventText), empty: 'no events for this device in the feed yet' };
  }
}

/** One device: its status, then logs (followed), env keys, disk slots or events. */
export function DeviceView(p: DeviceViewProps) {
  const d = p.device;
  const head = d
    ? [
        `${d.id}  ${stateWord(d)} (${d.run}/${d.phase})  runtime ${d.runtime}  boots ${d.boots}  crashes ${d.crashes}  seen ${ago(d.lastSeen, p.now)} ago`,
        `version ${d.version ?? '-'}  slot ${d.slot ?? '-'}  tags ${d.tags?.join(',') || '-'}  cohort ${d.cohort ?? '-'}  tunnel ${d.tunnel ?? '-'}`,
        d.phase === 'downloading' || d.phase === 'installing' ? `${d.phase} ${progressBar(d.progress ?? 0, 30)}` : `release ${d.release ?? '-'}`,
      ]
    : [`${p.id}: not in the fleet any more`];
  if (d?.error) head.push(`error: ${d.error}`);
  const tabs = DEVICE_SECTIONS.map((s) => (s === p.section ? `[${s}]` : ` ${s} `)).join(' ');
  const { lines, empty } = sectionLines(p);
  const room = Math.max(1, p.height - head.length - 2);
  // logs and events follow their end; env and disk read from the top
  const tail = p.section === 'logs' || p.section === 'events';
  const end = tail ? Math.max(0, lines.length - p.scroll) : Math.min(lines.length, p.scroll + room);
  const start = tail ? Math.max(0, end - room) : Math.min(p.scroll, Math.max(0, lines.length - room));
  const shown = lines.slice(start, end);
  const follow = !tail ? `${start + 1}-${start + shown.length} of ${lines.length}` : p.scroll === 0 ? 'following' : `${p.scroll} lines up · G to follow`;
  return (
    <Box flexDirection="column" height={p.height}>
      {head.map((l, i) => (
        <Text key={i} bold={i === 0}>
          {cell(l, p.width)}
        </Text>
      ))}
      <Text wrap="truncate">
        <Text color="cyan">{tabs}</Text>
        <Text dimColor>{`  ←/→ section · ↑/↓ scroll · ${follow}`}</Text>
      </Text>
      {shown.length === 0 && empty ? <Text dimColor>{empty}</Text> : null}
      {shown.map((l, i) => (
        <Text key={start + i}>{cell(l, p.width)}</Text>
      ))}
    </Box>
  );
}
