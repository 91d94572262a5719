import { Box, Text } from 'ink';

export const HELP: Array<[string, string]> = [
  ['1 2 3 4 · Tab', 'fleet · summary · releases · events'],
  ['Enter · Esc', 'open the selected device · back'],
  ['↑ ↓ PgUp PgDn g G', 'move (j/k too)'],
  ['/ · o · O', 'filter (tag:canary v:2.0 state:online) · sort column · reverse'],
  ['space · * · u', 'mark a device · mark all shown · unmark all'],
  ['a', 'add N devices'],
  ['s · x · b', 'start · stop · reboot the selection'],
  ['K · D', 'kill · remove the selection'],
  ['c · t · f', 'shell · tunnel · inject a fault'],
  ['e · p · T · C', 'releases: enable/disable · phase value · phase tags · create'],
  ['n', 'demo: next step'],
  ['?', 'this help'],
  ['q · Ctrl-C', 'quit'],
];

/** Every key, on `?`. */
export function HelpOverlay({ height, width }: { height: number; width: number }) {
  return (
    <Box flexDirection="column" height={height} borderStyle="round" paddingX={1} width={Math.min(width, 84)}>
      <Text bold>keys (any key closes)</Text>
      {HELP.slice(0, Math.max(0, height - 3)).map(([k, what]) => (
        <Text key={k} wrap="truncate">
          <Text color="cyan">{k.padEnd(20)}</Text>
          {what}
        </Text>
      ))}
    </Box>
  );
}
