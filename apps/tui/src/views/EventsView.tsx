import { Box, Text } from 'ink';
import type { DeviceEvent } from '@vfleet/simulator';
import { cell, clock } from '../format.js';

/** `hh:mm:ss kind detail` for one event. */
export function eventText(e: DeviceEvent): string {
  const data = e.data
    ? Object.entries(e.data)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')
    : '';
  return `${clock(e.at)} ${cell(e.kind, 16)} ${data || (e.line ?? '')}`.trimEnd();
}

export interface EventsViewProps {
  events: DeviceEvent[];
  /** Events scrolled up from the newest; 0 follows. */
  scroll: number;
  width: number;
  height: number;
}

const COLORS: Partial<Record<DeviceEvent['kind'], string>> = {
  crashed: 'red', failed: 'red', error: 'red', installed: 'green', connected: 'green', rebooting: 'yellow', disconnected: 'yellow',
  'update-available': 'cyan', 'tunnel-up': 'magenta', 'tunnel-down': 'magenta',
};

/** The fleet's event feed, newest at the bottom. */
export function EventsView({ events, scroll, width, height }: EventsViewProps) {
  const room = Math.max(1, height - 1);
  const end = Math.max(0, events.length - scroll);
  const start = Math.max(0, end - room);
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{cell(`EVENTS (${events.length})${scroll > 0 ? ` · ${scroll} up · G to follow` : ' · following'}`, width)}</Text>
      {events.length === 0 ? <Text dimColor>no events yet</Text> : null}
      {events.slice(start, end).map((e, i) => (
        <Text key={start + i} wrap="truncate">
          <Text color={(Object.hasOwn(COLORS, e.kind) ? COLORS[e.kind] : undefined) ?? 'white'}>{cell(e.id, 12)}</Text> {cell(eventText(e), width - 13)}
        </Text>
      ))}
    </Box>
  );
}
