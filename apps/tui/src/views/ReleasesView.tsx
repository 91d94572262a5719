import { Box, Text } from 'ink';
import { cell } from '../format.js';
import { phaseText, type ReleaseRow } from '../releases-api.js';

export interface ReleasesViewProps {
  releases?: ReleaseRow[] | undefined;
  error?: string | undefined;
  available: boolean;
  cursor: number;
  width: number;
  height: number;
}

/** Releases in the backend: state and phase, with the keys that change them. */
export function ReleasesView(p: ReleasesViewProps) {
  if (!p.available) {
    return (
      <Box flexDirection="column" height={p.height}>
        <Text bold>RELEASES</Text>
        <Text dimColor>not available: this fleet talks to a backend whose admin API vfleet does not hold</Text>
      </Box>
    );
  }
  const rows = p.releases ?? [];
  const nameW = Math.max(12, Math.min(24, ...rows.map((r) => r.name.length)));
  // the rows that fit, scrolled so the cursor's row is always one of them
  const room = Math.max(0, p.height - 3);
  const first = Math.max(0, Math.min(p.cursor - room + 1, rows.length - room));
  const header = `  ${cell('NAME', nameW)} ${cell('VERSION', 8)} ${cell('REQUIRES', 9)} ${cell('STATE', 8)} PHASE`;
  return (
    <Box flexDirection="column" height={p.height}>
      <Text bold>{header.slice(0, p.width)}</Text>
      {p.error ? <Text color="red">{cell(`admin API: ${p.error} · retrying`, p.width)}</Text> : null}
      {p.releases === undefined && !p.error ? <Text dimColor>loading releases…</Text> : null}
      {p.releases !== undefined && rows.length === 0 ? <Text dimColor>no releases (C: create one from an artifact)</Text> : null}
      {rows.slice(first, first + room).map((r, at) => {
        const i = first + at;
        const line = `  ${cell(r.name, nameW)} ${cell(r.version ?? '-', 8)} ${cell(r.version_requirement ?? '-', 9)} ${cell(r.disabled ? 'disabled' : 'enabled', 8)} ${phaseText(r)}`;
        return i === p.cursor ? (
          <Text key={r.uuid} inverse>
            {cell(line, p.width).trimEnd()}
          </Text>
        ) : (
          <Text key={r.uuid} color={r.disabled ? 'gray' : 'white'}>
            {cell(line, p.width).trimEnd()}
          </Text>
        );
      })}
      <Box flexGrow={1} />
      <Text dimColor>{'e enable/disable · p phase value · T phase tags · C create from an artifact'.slice(0, p.width)}</Text>
    </Box>
  );
}
