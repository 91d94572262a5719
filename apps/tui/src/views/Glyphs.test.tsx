import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Box, Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { GlyphText, restoreGlyphs, standIn } from './Glyphs.js';

const GLYPHS = '█░▁▂▃▄▅▆▇●…·↑↓←→▏▶┤│';

// ink's own chalk, coloured as a terminal would be, so styles are part of what is compared
let chalk: { level: number };
let level = 0;
beforeAll(async () => {
  const inkEntry = createRequire(import.meta.url).resolve('ink');
  chalk = ((await import(pathToFileURL(createRequire(inkEntry).resolve('chalk')).href)) as { default: { level: number } }).default;
  level = chalk.level;
  chalk.level = 1;
});
afterAll(() => {
  chalk.level = level;
});
afterEach(() => cleanup());

describe('GlyphText', () => {
  it('stands in only for one-cell glyphs, keeping the length', () => {
    const line = `● EI-ML-0001 ${GLYPHS} 漢 🚀 é [x]`;
    const s = standIn(line);
    expect(s).toBe(`# EI-ML-0001 ${'#'.repeat(GLYPHS.length)} 漢 🚀 é [x]`);
    expect(s.length).toBe(line.length);
  });

  it('each stood-in glyph is one cell for ink', () => {
    for (const g of GLYPHS) {
      const { lastFrame, unmount } = render(
        <Box width={3}>
          <Text>{g.repeat(3)}</Text>
        </Box>,
      );
      expect(lastFrame()).toBe(g.repeat(3));
      unmount();
    }
  });

  it('writes the same frame as a plain Text, styles included', () => {
    const lines = ['● EI-ML-0001 downloading ██████░░░░  55% …', '  EI-ML-0002 online      ·↑ 漢字 and 🚀', '  plain ascii'];
    const styled = (ls: string[]) => (
      <Text>
        <Text inverse>{`${ls[0]}\n`}</Text>
        {ls[1]?.slice(0, 13)}
        <Text color="green">{ls[1]?.slice(13, 19)}</Text>
        {`${ls[1]?.slice(19)}\n`}
        <Text dimColor>{ls[2]}</Text>
      </Text>
    );
    const plain = render(<Box width={60}>{styled(lines)}</Box>).lastFrame();
    const glyphs = render(
      <Box width={60}>
        <GlyphText lines={lines}>{styled(lines.map(standIn))}</GlyphText>
      </Box>,
    ).lastFrame();
    expect(plain).toContain('\x1b[7m');
    expect(plain).toContain('██████░░░░');
    expect(glyphs).toBe(plain);
  });

  it('leaves a line it does not expect as it comes', () => {
    const restore = restoreGlyphs(['a █ b', 'plain']);
    expect(restore('\x1b[2ma # b\x1b[22m', 0)).toBe('\x1b[2ma █ b\x1b[22m');
    expect(restore('a # ', 0)).toBe('a # '); // cut short, as wrapping would
    expect(restore('x # b', 0)).toBe('x # b');
    expect(restore('a \x1b[Kx b', 0)).toBe('a \x1b[Kx b');
    expect(restore('plain', 1)).toBe('plain');
    expect(restore('extra', 2)).toBe('extra');
  });
});
