// Text helpers for fixed-width terminal cells: every result has exactly the width asked for.
import stringWidth from 'string-width';

// printable ASCII, one column a character: most of what a dashboard shows, measured by length
const ASCII = /^[\x20-\x7e]*$/;
const graphemes = new Intl.Segmenter();

/** The index in `text` where terminal column `column` starts (text.length when it is past the end). */
export function columnIndex(text: string, column: number): number {
  if (ASCII.test(text)) return Math.min(column, text.length);
  let w = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    if (w >= column) return index;
    w += stringWidth(segment);
  }
  return text.length;
}

/** Cuts or pads `text` to `width` columns (an ellipsis marks a cut), never splitting a character. */
export function cell(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  if (ASCII.test(text)) {
    const t = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
    return align === 'left' ? t.padEnd(width) : t.padStart(width);
  }
  let t = text;
  let w = stringWidth(text);
  if (w > width) {
    t = '';
    w = 0;
    for (const { segment } of graphemes.segment(text)) {
      const sw = stringWidth(segment);
      if (w + sw > width - 1) break;
      t += segment;
      w += sw;
    }
    t += '…';
    w += 1;
  }
  const pad = ' '.repeat(width - w);
  return align === 'left' ? t + pad : pad + t;
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
