// ink's `Output.get()` builds each frame by running every written line through a grapheme
// segmenter into one styled-cell object per character, then diffing the style arrays of every pair
// of neighbouring cells: about a third of a millisecond per 120-column line, most of a frame. This
// module gives ink's Output class a faster `get()` for the text a dashboard writes (printable ASCII,
// a whitelist of narrow symbols, SGR colour codes, no clipping) that returns the exact same string;
// anything else — wide or combining characters, links, other escapes, clipped boxes — goes to
// ink's own `get()`. Style semantics are never re-implemented: the escape strings between two
// styles are taken from ink's own `get()` on a two-cell probe and remembered.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Transformer = (line: string, index: number) => string;
type Operation =
  | { type: 'write'; x: number; y: number; text: string; transformers: Transformer[] }
  | { type: 'clip'; clip: unknown }
  | { type: 'unclip' };
interface StyledChar {
  value: string;
  fullWidth: boolean;
}
/** The parts of ink's (internal) Output this module relies on; checked before it is patched. */
export interface InkOutput {
  width: number;
  height: number;
  operations: Operation[];
  caches: { getStyledChars(line: string): StyledChar[]; getStringWidth(text: string): number };
  write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void;
  get(): { output: string; height: number };
}
export type InkOutputClass = new (options: { width: number; height: number }) => InkOutput;
type Get = (this: InkOutput) => { output: string; height: number };

/** The code points (besides printable ASCII) that may take the fast path: blocks without combining or joining characters. */
const NARROW_BLOCKS: Array<[number, number]> = [
  [0xa1, 0xac], [0xae, 0x24f], // Latin-1 and Latin Extended-A and B, without NBSP and the soft hyphen
  [0x370, 0x3ff], [0x400, 0x482], // Greek, Cyrillic up to its combining marks
  [0x2010, 0x2027], [0x2030, 0x205e], // punctuation, without zero-width, bidi and separator characters
  [0x20a0, 0x20c0], // currency
  [0x2190, 0x22ff], // arrows, mathematical operators
  [0x2500, 0x25ff], // box drawing, block elements, geometric shapes
  [0x2600, 0x27bf], // symbols and dingbats (the wide, emoji ones fail the width check)
  [0x2800, 0x28ff], // braille (spinners)
];
const MAX_STYLES = 4096;

export interface FastOutput {
  /** A `get()` for ink's Output: the fast path, or ink's own `get()` where it does not apply. */
  get: Get;
  /** Frames built by the fast path, and frames handed to ink's own `get()`. */
  stats: { fast: number; fallback: number };
}

/**
 * Builds the replacement `get()` for `Output` (ink's class), `original` being its own `get()`. Which
 * characters are one narrow cell is asked of ink's own width and tokenizer functions, once each.
 */
export function createFastGet(Output: InkOutputClass, original: Get): FastOutput {
  const oracle = new Output({ width: 1, height: 1 }).caches;
  // 0: not asked yet, 1: one narrow cell, 2: not for the fast path
  const narrow = new Uint8Array(0x10000);
  for (let c = 0x20; c < 0x7f; c++) narrow[c] = 1;
  const isNarrow = (code: number, char: string): boolean => {
    let known = narrow[code] as number;
    if (known === 0) {
      const inBlock = NARROW_BLOCKS.some(([lo, hi]) => code >= lo && code <= hi);
      const styled = inBlock ? oracle.getStyledChars(char) : [];
      const one = styled.length === 1 && styled[0]?.value === char && !styled[0].fullWidth && oracle.getStringWidth(char) === 1;
      known = one ? 1 : 2;
      narrow[code] = known;
    }
    return known === 1;
  };

  // a style is named by the SGR codes written before it on its line; id 0 is "none"
  let ids = new Map<string, number>([['', 0]]);
  let codesOf: string[] = [''];
  let opens: Array<string | undefined> = [];
  let closes: Array<string | undefined> = [];
  let between = new Map<number, string>();
  const styleId = (codes: string): number => {
    let id = ids.get(codes);
    if (id === undefined) {
      id = codesOf.length;
      codesOf.push(codes);
      ids.set(codes, id);
    }
    return id;
  };
  /** What ink writes for cells styled `a` then `b`: before the first, between them, after the second. */
  const probe = (a: number, b: number): [string, string, string] => {
    const o = new Output({ width: 2, height: 1 });
    o.write(0, 0, `${codesOf[a] as string}x`, { transformers: [] });
    o.write(1, 0, `${codesOf[b] as string}y`, { transformers: [] });
    const out = original.call(o).output;
    const x = out.indexOf('x');
    const y = out.indexOf('y', x + 1);
    return [out.slice(0, x), out.slice(x + 1, y), out.slice(y + 1)];
  };
  const open = (id: number): string => (opens[id] ??= probe(id, id)[0]);
  const close = (id: number): string => (closes[id] ??= probe(id, id)[2]);
  const change = (a: number, b: number): string => {
    const key = a * 0x10000 + b;
    let s = between.get(key);
    if (s === undefined) {
      s = probe(a, b)[1];
      between.set(key, s);
    }
    return s;
  };

  /** Puts one line's cells at `x`; false when the line needs ink's own tokenizer. */
  const place = (line: string, chars: string[], styles: number[], x: number): boolean => {
    let style = 0;
    let codes = '';
    let at = x;
    for (let i = 0; i < line.length; i++) {
      const code = line.charCodeAt(i);
      if (code === 0x1b) {
        // ink's tokenizer takes ESC [ digits-and-semicolons m as one SGR code; anything else goes to it
        if (line.charCodeAt(i + 1) !== 0x5b) return false;
        let end = i + 2;
        for (let c = line.charCodeAt(end); c === 0x3b || (c >= 0x30 && c <= 0x39); c = line.charCodeAt(++end));
        if (line.charCodeAt(end) !== 0x6d) return false;
        codes += line.slice(i, end + 1);
        style = styleId(codes);
        i = end;
        continue;
      }
      const char = line[i] as string;
      if (!isNarrow(code, char)) return false;
      chars[at] = char;
      styles[at] = style;
      at++;
    }
    return true;
  };

  const stats = { fast: 0, fallback: 0 };
  function fast(this: InkOutput): { output: string; height: number } | undefined {
    if (codesOf.length > MAX_STYLES) {
      ids = new Map([['', 0]]);
      codesOf = [''];
      opens = [];
      closes = [];
      between = new Map();
    }
    const chars: string[][] = [];
    const styles: number[][] = [];
    for (let y = 0; y < this.height; y++) {
      chars.push(new Array<string>(this.width).fill(' '));
      styles.push(new Array<number>(this.width).fill(0));
    }
    // the same walk as ink's get(), including its handling of lines below the last row
    for (const op of this.operations) {
      if (op.type !== 'write') return undefined;
      const lines = op.text.split('\n');
      let offsetY = 0;
      for (let index = 0; index < lines.length; index++) {
        const rowChars = chars[op.y + offsetY];
        const rowStyles = styles[op.y + offsetY];
        if (!rowChars || !rowStyles) continue;
        let line = lines[index] as string;
        for (const transform of op.transformers) line = transform(line, index);
        if (!place(line, rowChars, rowStyles, op.x)) return undefined;
        offsetY++;
      }
    }
    if (codesOf.length > 0x10000) return undefined;
    const rows: string[] = [];
    for (let y = 0; y < chars.length; y++) {
      const rowChars = chars[y] as string[];
      const rowStyles = styles[y] as number[];
      let out = '';
      let prev = -1;
      for (let i = 0; i < rowChars.length; i++) {
        const char = rowChars[i];
        if (char === undefined) continue; // a hole past the row's end, as ink's filter drops it
        const style = rowStyles[i] as number;
        out += (prev < 0 ? open(style) : style === prev ? '' : change(prev, style)) + char;
        prev = style;
      }
      if (prev >= 0) out += close(prev);
      rows.push(out.trimEnd());
    }
    return { output: rows.join('\n'), height: chars.length };
  }

  return {
    stats,
    get(this: InkOutput) {
      const built = fast.call(this);
      if (built) {
        stats.fast++;
        return built;
      }
      stats.fallback++;
      return original.call(this);
    },
  };
}

export interface FastOutputStatus {
  installed: boolean;
  /** Why ink's own output stage is used (an ink version this was not checked against, its internals changed). */
  reason?: string;
  stats: { fast: number; fallback: number };
}

const SUPPORTED_INK = /^6\.8\./;

/** ink's Output class and its own `get()`, as loaded by ink itself; or why not. */
export type InkOutputModule = { Output: InkOutputClass; original: Get } | { reason: string };
let loaded: Promise<InkOutputModule> | undefined;

export function loadInkOutput(): Promise<InkOutputModule> {
  loaded ??= (async (): Promise<InkOutputModule> => {
    try {
      const entry = createRequire(import.meta.url).resolve('ink');
      const version = (JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version?: string }).version ?? '';
      if (!SUPPORTED_INK.test(version)) return { reason: `ink ${version} is not the 6.8 this was checked against` };
      // ink does not export Output; loaded by file it is the same module instance ink renders with
      const mod = (await import(pathToFileURL(join(dirname(entry), 'output.js')).href)) as { default?: unknown };
      const Output = mod.default as InkOutputClass | undefined;
      const get = (Output?.prototype as Partial<InkOutput> | undefined)?.get;
      if (!Output || typeof get !== 'function') return { reason: 'ink Output has changed shape' };
      const sample = new Output({ width: 1, height: 1 });
      if (!Array.isArray(sample.operations) || typeof sample.caches?.getStyledChars !== 'function' || typeof sample.caches.getStringWidth !== 'function') {
        return { reason: 'ink Output has changed shape' };
      }
      return { Output, original: get as Get };
    } catch (e) {
      return { reason: `ink Output not found: ${(e as Error).message}` };
    }
  })();
  return loaded;
}

export interface FastOutputStatus {
  installed: boolean;
  /** Why ink's own output stage is used (an ink version this was not checked against, its internals changed). */
  reason?: string;
  stats: { fast: number; fallback: number };
}
let installed: Promise<FastOutputStatus> | undefined;

/** Gives ink's Output class the fast `get()` (once per process). Never throws: on any doubt ink stays as it is. */
export function installFastOutput(): Promise<FastOutputStatus> {
  installed ??= loadInkOutput().then((ink) => {
    if ('reason' in ink) return { installed: false, reason: ink.reason, stats: { fast: 0, fallback: 0 } };
    const fast = createFastGet(ink.Output, ink.original);
    ink.Output.prototype.get = fast.get;
    return { installed: true, stats: fast.stats };
  });
  return installed;
}
