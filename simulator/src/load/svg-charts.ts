/** Small inline SVG charts for the HTML report: no script, no fonts, nothing fetched. */

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const W = 720;
const H = 260;
const PAD = { left: 56, right: 16, top: 16, bottom: 40 };

/** 0, 1, 2, 5, 10, 20, 50 … style ticks covering [0, max]. */
function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  if ((ticks.at(-1) ?? 0) < max) ticks.push(+(ticks.length * step).toPrecision(12));
  return ticks;
}

function frame(kind: string, label: string, body: string[], w = W, h = H): string {
  return `<svg class="chart" data-chart="${esc(kind)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(label)}">\n${body.join('\n')}\n</svg>`;
}

function axes(xTicks: Array<{ x: number; text: string }>, yTicks: Array<{ y: number; text: string }>, xLabel: string, yLabel: string, w = W, h = H): string[] {
  const out = [
    `<line class="axis" x1="${PAD.left}" y1="${h - PAD.bottom}" x2="${w - PAD.right}" y2="${h - PAD.bottom}" stroke="#888"/>`,
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${h - PAD.bottom}" stroke="#888"/>`,
  ];
  for (const t of yTicks) {
    out.push(`<line x1="${PAD.left}" y1="${t.y.toFixed(1)}" x2="${w - PAD.right}" y2="${t.y.toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${(t.y + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#555">${esc(t.text)}</text>`);
  }
  for (const t of xTicks) out.push(`<text x="${t.x.toFixed(1)}" y="${h - PAD.bottom + 16}" text-anchor="middle" font-size="11" fill="#555">${esc(t.text)}</text>`);
  out.push(`<text x="${(PAD.left + w - PAD.right) / 2}" y="${h - 6}" text-anchor="middle" font-size="12" fill="#333">${esc(xLabel)}</text>`);
  out.push(`<text x="14" y="${(PAD.top + h - PAD.bottom) / 2}" text-anchor="middle" font-size="12" fill="#333" transform="rotate(-90 14 ${(PAD.top + h - PAD.bottom) / 2})">${esc(yLabel)}</text>`);
  return out;
}

export interface Series {
  name: string;
  color: string;
  values: number[];
}

/** Lines over time (seconds), with labelled vertical marks (phase starts). */
export function lineChart(kind: string, label: string, t: number[], series: Series[], marks: Array<{ t: number; label: string }>, yLabel: string): string {
  const tMax = Math.max(1, ...t, ...marks.map((m) => m.t));
  const yMax = Math.max(1, ...series.flatMap((s) => s.values));
  const yTicks = niceTicks(yMax);
  const top = yTicks.at(-1) as number;
  const x = (v: number) => PAD.left + (v / tMax) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const body = axes(
    niceTicks(tMax, 8).filter((v) => v <= tMax).map((v) => ({ x: x(v), text: `${v}s` })),
    yTicks.map((v) => ({ y: y(v), text: String(v) })),
    'seconds since start',
    yLabel,
  );
  marks.forEach((m, i) => {
    body.push(`<line class="mark" x1="${x(m.t).toFixed(1)}" y1="${PAD.top}" x2="${x(m.t).toFixed(1)}" y2="${H - PAD.bottom}" stroke="#bbb" stroke-dasharray="3 3"/>`);
    body.push(`<text x="${(x(m.t) + 3).toFixed(1)}" y="${PAD.top + 10 + (i % 3) * 11}" font-size="10" fill="#777">${esc(m.label)}</text>`);
  });
  for (const s of series) {
    if (s.values.length === 0) continue;
    const d = s.values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(t[i] ?? 0).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    body.push(`<path class="series" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
  }
  series.forEach((s, i) => {
    const lx = W - PAD.right - 150;
    const ly = PAD.top + 8 + i * 15;
    body.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${s.color}"/><text x="${lx + 14}" y="${ly + 1}" font-size="11" fill="#333">${esc(s.name)}</text>`);
  });
  return frame(kind, label, body);
}

/** A distribution as bars over value buckets (log-spaced when the range is wide), with quantile markers. */
export function histogramChart(kind: string, label: string, bins: Array<{ lo: number; hi: number; count: number }>, markers: Array<{ name: string; value: number }>, format: (v: number) => string): string {
  const positive = bins.filter((b) => b.hi > 0);
  const lo = Math.min(...positive.map((b) => b.lo), ...markers.map((m) => m.value).filter((v) => v > 0));
  const hi = Math.max(...positive.map((b) => b.hi), ...markers.map((m) => m.value));
  const log = hi / Math.max(lo, 1e-9) > 50;
  const slots = 30;
  const counts = new Array<number>(slots).fill(0);
  const f = (v: number) => (log ? Math.log(Math.max(v, lo)) : v);
  const fLo = f(lo);
  const span = Math.max(1e-9, f(hi) - fLo);
  const slotOf = (v: number) => Math.min(slots - 1, Math.max(0, Math.floor(((f(v) - fLo) / span) * slots)));
  for (const b of bins) {
    const i = b.hi <= 0 ? 0 : slotOf((b.lo + b.hi) / 2);
    counts[i] = (counts[i] ?? 0) + b.count;
  }
  const cMax = Math.max(1, ...counts);
  const yTicks = niceTicks(cMax, 4);
  const top = yTicks.at(-1) as number;
  const plotW = W - PAD.left - PAD.right;
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const xv = (v: number) => PAD.left + ((f(v) - fLo) / span) * plotW;
  const xTicks = Array.from({ length: 6 }, (_, i) => {
    const at = fLo + (span * i) / 5;
    const v = log ? Math.exp(at) : at;
    return { x: PAD.left + (plotW * i) / 5, text: format(v) };
  });
  const body = axes(xTicks, yTicks.map((v) => ({ y: y(v), text: String(v) })), log ? 'value (log scale)' : 'value', 'samples');
  const bw = plotW / slots;
  counts.forEach((c, i) => {
    if (c === 0) return;
    body.push(`<rect class="bar" x="${(PAD.left + i * bw + 1).toFixed(1)}" y="${y(c).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${(H - PAD.bottom - y(c)).toFixed(1)}" fill="#4a78c2"/>`);
  });
  const colors = ['#2a9d4b', '#e08a00', '#c0392b'];
  markers.forEach((m, i) => {
    const mx = xv(m.value).toFixed(1);
    body.push(`<line class="marker" x1="${mx}" y1="${PAD.top}" x2="${mx}" y2="${H - PAD.bottom}" stroke="${colors[i % 3]}" stroke-width="2"/>`);
    body.push(`<text x="${(Number(mx) + 3).toFixed(1)}" y="${PAD.top + 10 + i * 12}" font-size="11" fill="${colors[i % 3]}">${esc(`${m.name} ${format(m.value)}`)}</text>`);
  });
  return frame(kind, label, body);
}

/** Horizontal bars, one per item (error kinds). */
export function barChart(kind: string, label: string, items: Array<{ name: string; value: number }>): string {
  const rowH = 22;
  const h = PAD.top + PAD.bottom + Math.max(1, items.length) * rowH;
  const max = Math.max(1, ...items.map((i) => i.value));
  const left = 120;
  const plotW = W - left - PAD.right - 40;
  const body: string[] = [];
  items.forEach((it, i) => {
    const yy = PAD.top + i * rowH;
    const w = Math.max(2, (it.value / max) * plotW);
    body.push(`<text x="${left - 8}" y="${yy + 15}" text-anchor="end" font-size="12" fill="#333">${esc(it.name)}</text>`);
    body.push(`<rect class="bar" x="${left}" y="${yy + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="#c0392b"/>`);
    body.push(`<text x="${(left + w + 6).toFixed(1)}" y="${yy + 15}" font-size="12" fill="#333">${it.value}</text>`);
  });
  if (items.length === 0) body.push(`<text x="${left}" y="${PAD.top + 15}" font-size="12" fill="#2a9d4b">no errors</text>`);
  return frame(kind, label, body, W, h);
}
