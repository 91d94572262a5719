import { Box, Text } from 'ink';
import type { DeviceStatus } from '@vfleet/simulator';
import { headerLine, layoutColumns, rowLine } from './columns.js';
import type { SortSpec } from '../store/sort-filter.js';
import { GlyphText, standIn } from './Glyphs.js';
import { cell, columnIndex } from '../format.js';

export interface FleetTableProps {
  /** Filtered and sorted rows; only the visible window is rendered. */
  rows: DeviceStatus[];
  total: number;
  cursor: number;
  top: number;
  height: number;
  width: number;
  marked: ReadonlySet<string>;
  sort: SortSpec;
  filter: string;
  now: number;
}

const STATE_COLORS: Record<string, string> = {
  online: 'green', queued: 'blue', downloading: 'cyan', installing: 'cyan', checking: 'green', rebooting: 'yellow', connecting: 'yellow',
  starting: 'yellow', crashed: 'red', failed: 'red', error: 'red', 'no-network': 'magenta', stopped: 'gray', offline: 'gray',
};

/** The device table, virtualised: `height` lines including its header, whatever the fleet size. */
export function FleetTable(props: FleetTableProps) {
  const columns = layoutColumns(props.width);
  const visible = Math.max(0, props.height - 2);
  const slice = props.rows.slice(props.top, props.top + visible);
  const stateCol = columns.find((c) => c.key === 'state');
  const shown = props.rows.length === 0 ? 0 : props.top + 1;
  const info = `${props.filter ? `filter "${props.filter}" · ` : ''}${props.rows.length}/${props.total} · ${shown}-${props.top + slice.length} · sort ${props.sort.key}${props.sort.desc ? '↓' : '↑'}${props.marked.size > 0 ? ` · ${props.marked.size} marked` : ''}`;
  // one Text node for every row: one layout node and one output write however many rows show
  const lines = slice.map((d) => rowLine(d, columns, props.now, props.marked.has(d.id)));
  const body = slice.map((d, i) => {
    const line = standIn(lines[i] as string);
    const nl = i < slice.length - 1 ? '\n' : '';
    if (props.top + i === props.cursor) {
      return (
        <Text key={d.id} inverse>
          {line}
          {nl ? <Text inverse={false}>{nl}</Text> : null}
        </Text>
      );
    }
    const state = stateCol?.value(d, props.now, stateCol.width);
    // own keys only: a state named `constructor` gave ink a function for a colour and ended the TUI
    const color = state !== undefined && Object.hasOwn(STATE_COLORS, state) ? STATE_COLORS[state] : undefined;
    if (!color || !stateCol) return <Text key={d.id}>{line + nl}</Text>;
    // colour only the state cell: split the line at its terminal columns (a tag may hold wide characters)
    const column = 2 + columns.slice(0, columns.indexOf(stateCol)).reduce((n, c) => n + c.width + 1, 0);
    const at = columnIndex(line, column);
    const end = columnIndex(line, column + stateCol.width);
    return (
      <Text key={d.id}>
        {line.slice(0, at)}
        <Text color={color}>{line.slice(at, end)}</Text>
        {line.slice(end) + nl}
      </Text>
    );
  });
  const infoLine = cell(info, props.width).trimEnd();
  return (
    <Box flexDirection="column" height={props.height}>
      <Text bold>{headerLine(columns).slice(0, props.width)}</Text>
      {slice.length > 0 ? (
        <GlyphText lines={lines}>
          <Text>{body}</Text>
        </GlyphText>
      ) : null}
      {props.rows.length === 0 ? <Text dimColor>{props.total === 0 ? '  no devices yet (a: add devices)' : '  no device matches the filter (/ to change it)'}</Text> : null}
      <Box flexGrow={1} />
      <GlyphText lines={[infoLine]}>
        <Text dimColor>{standIn(infoLine)}</Text>
      </GlyphText>
    </Box>
  );
}
