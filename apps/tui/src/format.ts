// Text helpers for fixed-width terminal cells: every result has exactly the width asked for.
import stringWidth from 'string-width';

// printable ASCII, one column a character: most of what a dashboard shows, measured by length
const ASCII = /^[\x20-\x7e]*$/;
const graphemes = new Intl.Segmenter();
// string-width costs microseconds a call; the graphemes a dashboard shows repeat
const widths = new Map<string, number>();
const graphemeWidth = (g: string): number => {
  let w = widths.get(g);
  if (w === undefined) {
    if (widths.size >= 4096) widths.clear();
    w = stringWidth(g);
    widths.set(g, w);
  }
  return w;
};

/** The first `n` UTF-16 units of `text`, one fewer where the cut would split a surrogate pair. */
const head = (text: string, n: number): string => {
  const c = text.charCodeAt(n - 1);
  return text.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n);
};

/** The index in `text` where terminal column `column` starts (text.length when it is past the end). */
export function columnIndex(text: string, column: number): number {
  if (ASCII.test(text)) return Math.min(column, text.length);
  let w = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    if (w >= column) return index;
    w += graphemeWidth(segment);
  }
  return text.length;
}

// what a terminal would act on or hide instead of showing: C0/DEL/C1 controls (ESC starts every
// escape sequence), line and paragraph separators, lone surrogates, and format characters (bidi
// overrides, zero-width spaces, BOM) except the joiners and tags that emoji and scripts are made of
const HIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\p{Cf}]/gu;
const escapeHidden = (c: string): string => {
  const code = c.codePointAt(0) as number;
  if (code === 0x200c || code === 0x200d || (code >= 0xe0020 && code <= 0xe007f)) return c;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** `text` with every character a terminal would act on or hide written as `\uXXXX` (the simulator's escapeControls form). */
export function visible(text: string): string {
  return ASCII.test(text) ? text : text.replace(HIDDEN, escapeHidden);
}

/**
 * Cuts or pads `text` to `width` columns (an ellipsis marks a cut), never splitting a character;
 * escape sequences and other characters a terminal would act on show as `\uXXXX` text.
 */
export function cell(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  // a cell shows `width` columns: measuring all of a 100 kB text took string-width over a second
  const room = width * 4 + 16;
  const long = text.length > room;
  let t = long ? head(text, room) : text;
  if (ASCII.test(t)) {
    if (t.length > width) t = `${t.slice(0, Math.max(0, width - 1))}…`;
    return align === 'left' ? t.padEnd(width) : t.padStart(width);
  }
  t = visible(t);
  // one pass that stops past the width: string-width over a whole long text costs ms per cell
  let w = 0;
  let fits = 0;
  let fitsWidth = 0;
  for (const { segment, index } of graphemes.segment(t)) {
    w += graphemeWidth(segment);
    if (w > width) break;
    if (w <= width - 1) {
      fits = index + segment.length;
      fitsWidth = w;
    }
  }
  if (w > width || long) {
    t = `${t.slice(0, fits)}…`;
    w = fitsWidth + 1;
  }
  const pad = ' '.repeat(width - w);
  return align === 'left' ? t + pad : pad + t;
}

/** Characters of a text kept for display: more than any terminal line shows. */
export const MAX_TEXT = 1024;

/** `text` cut to `max` characters (an ellipsis marks a cut), for text that is kept, not only drawn. */
export function shorten(text: string, max = MAX_TEXT): string {
  if (text.length <= max) return text;
  // a copy: V8's slice points into the whole text and kept a 1 MB line alive for its first 1 kB
  return `${Buffer.from(head(text, max), 'utf16le').toString('utf16le')}…`;
}

/** `[#####.....]  50%` style bar of `width` columns; blank when there is no value. */
export function progressBar(percent: number | undefined, width: number): string {
  if (percent === undefined || !Number.isFinite(percent) || width < 6) return ''.padEnd(Math.max(0, width));
  const p = Math.min(100, Math.max(0, percent));
  const label = `${Math.round(p)}%`.padStart(4);
  const inner = width - label.length - 1;
  const filled = Math.round((p / 100) * inner);
  return `${'█'.repeat(filled)}${'░'.repeat(inner - filled)} ${label}`;
}

/** How long ago `at` was, in at most 4 columns: `3s`, `12m`, `5h`, `2d`. */
export function ago(at: number | undefined, now: number): string {
  if (at === undefined) return '-';
  const s = Math.max(0, Math.floor((now - at) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

const SPARKS = '▁▂▃▄▅▆▇█';

/** One character per value in 0..1 (values outside are clamped). */
export function sparkline(values: number[]): string {
  return values.map((v) => SPARKS[Math.min(SPARKS.length - 1, Math.max(0, Math.round(v * (SPARKS.length - 1))))] ?? ' ').join('');
}

/** A horizontal bar of `width` columns for `count` out of `total`. */
export function hbar(count: number, total: number, width: number): string {
  if (width <= 0) return '';
  const n = total > 0 ? Math.round((count / total) * width) : 0;
  return '█'.repeat(n).padEnd(width);
}

/** Clock time `hh:mm:ss` (local) of an epoch ms. */
export function clock(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

const EIGHTHS = ' ▁▂▃▄▅▆▇█';

/** Values in 0..1 as columns of a bar chart `height` rows tall, top row first (eighth-block resolution). */
export function barChart(values: number[], height: number): string[] {
  const rows: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    rows.push(
      values
        .map((v) => {
          const level = Math.min(1, Math.max(0, v)) * height * 8 - r * 8;
          return level >= 8 ? '█' : level <= 0 ? ' ' : (EIGHTHS[Math.round(level)] ?? ' ');
        })
        .join(''),
    );
  }
  return rows;
}
