import type { ReactNode } from 'react';
import { Transform } from 'ink';

// ink measures every line it lays out and writes (string-width), and only pure ASCII lines take the
// fast path: one progress bar or ellipsis sends a whole 120-column row through a grapheme segmenter,
// twice a frame. A <GlyphText> gives ink ASCII stand-ins of the same width to measure, and its
// transform puts the real glyphs back as each line is written.

/** The one-cell glyphs the dashboard draws: bars, markers, cuts, separators, arrows. */
const GLYPHS = /[█░▁▂▃▄▅▆▇●…·↑↓←→▏▶┤│]/g;

/** `line` with each of the dashboard's one-cell glyphs as `#`: as wide, and ASCII where the rest is. */
export function standIn(line: string): string {
  return line.replace(GLYPHS, '#');
}

/**
 * A transform that writes line `index` of `lines` in place of its stand-in, keeping the styles ink
 * added. A line that is not the stand-in it expects (wrapped, say) is written as it comes.
 */
export function restoreGlyphs(lines: readonly string[]): (styled: string, index: number) => string {
  const shown = lines.map(standIn);
  return (styled, index) => {
    const real = lines[index];
    const stand = shown[index];
    if (real === undefined || stand === undefined || stand === real) return styled;
    let out = '';
    let from = 0;
    let k = 0;
    for (let i = 0; i < styled.length; i++) {
      if (styled.charCodeAt(i) === 0x1b) {
        // an SGR code ink's Text styles added: ESC [ digits-and-semicolons m
        if (styled.charCodeAt(i + 1) !== 0x5b) return styled;
        let end = i + 2;
        for (let c = styled.charCodeAt(end); c === 0x3b || (c >= 0x30 && c <= 0x39); c = styled.charCodeAt(++end));
        if (styled.charCodeAt(end) !== 0x6d) return styled;
        i = end;
        continue;
      }
      if (styled[i] !== stand[k]) return styled;
      if (stand[k] !== real[k]) {
        out += styled.slice(from, i) + (real[k] as string);
        from = i + 1;
      }
      k++;
    }
    return k === stand.length ? out + styled.slice(from) : styled;
  };
}

export interface GlyphTextProps {
  /** The lines as they should read; `children` must render exactly their `standIn`s. */
  lines: readonly string[];
  children: ReactNode;
}

/** Text whose lines ink measures as ASCII stand-ins and writes with their glyphs. */
export function GlyphText({ lines, children }: GlyphTextProps) {
  return (
    <Transform transform={restoreGlyphs(lines)} accessibilityLabel={lines.join('\n')}>
      {children}
    </Transform>
  );
}
