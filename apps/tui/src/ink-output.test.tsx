import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App } from './App.js';
import { createFleetStore } from './store/fleet-store.js';
import { createFakeFleet, fakeDevice } from './test-support/fake-fleet.js';
import { createFastGet, installFastOutput, loadInkOutput, type InkOutput, type InkOutputClass } from './ink-output.js';
import { seededRandom } from '@vfleet/core';

const ink = await loadInkOutput();
if ('reason' in ink) throw new Error(ink.reason);
const { Output, original } = ink as { Output: InkOutputClass; original: (this: InkOutput) => { output: string; height: number } };


const SGR = ['\x1b[31m', '\x1b[39m', '\x1b[32m', '\x1b[1m', '\x1b[22m', '\x1b[2m', '\x1b[7m', '\x1b[27m', '\x1b[41m', '\x1b[49m', '\x1b[90m', '\x1b[0m', '\x1b[m', '\x1b[1;31m', '\x1b[38;5;208m', '\x1b[38;2;10;20;30m', '\x1b[4m', '\x1b[24m'];
const WORDS = ['EI-ML-00012', 'online', 'downloading', '1.1.0', '[Update] installing 12', ' ', '   ', 'a', '~!@#$%^&*()_+{}|:"<>?`-=[]\\;\',./'];
const GLYPHS = ['█', '░', '●', '…', '·', '↑', '↓', '▏', '▶', '┤', '│', '─', '▁', '▇', '→', '€', 'é', '×', '©', '⠋', '■', '◆', '✓', 'Ж', 'λ', 'ș', '☀', '✗'];
// each needs ink's own tokenizer: wide, combining, joined, astral, other escapes, controls
const HARD = ['漢字', '🚀', 'e\u0301', '👍🏽', '\u200d', '\u00ad', '\x1b]8;;https://x.test\x07link\x1b]8;;\x07', '\x1b[K', '\x1b[?25l', '\x1b', '\x9b31m', '\t', '\u3000', '⌚', '◽', '\ufe0f', '🇩🇪', '✅', '☀\ufe0f', '\u0483', 'Ж\u0489'];

function randomOutput(r: () => number, hardChance: number): InkOutput {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const width = Math.floor(r() * 90);
  const height = Math.floor(r() * 24);
  const o = new Output({ width, height });
  const ops = 1 + Math.floor(r() * 12);
  for (let k = 0; k < ops; k++) {
    if (r() < hardChance / 4) {
      o.operations.push({ type: 'clip', clip: { x1: 0, x2: Math.floor(width / 2), y1: undefined, y2: undefined } });
    }
    const lines = Array.from({ length: 1 + Math.floor(r() * 4) }, () => {
      let line = '';
      const parts = Math.floor(r() * 12);
      for (let p = 0; p < parts; p++) {
        const u = r();
        line += u < 0.3 ? pick(SGR) : u < 0.75 ? pick(WORDS) : r() < hardChance ? pick(HARD) : pick(GLYPHS);
      }
      return line;
    });
    const transformers: Array<(line: string, index: number) => string> = [];
    if (r() < 0.3) transformers.push((l) => `\x1b[32m${l}\x1b[39m`);
    if (r() < 0.2) transformers.push((l, i) => (i % 2 ? `\x1b[7m${l}\x1b[27m` : l));
    o.write(Math.floor(r() * (width + 6)) - 2, Math.floor(r() * (height + 5)) - 2, lines.join('\n'), { transformers });
  }
  return o;
}

describe('ink-output fast get()', () => {
  it('builds the same frame as ink itself, for hundreds of random frames', () => {
    const fast = createFastGet(Output, original);
    const r = seededRandom(20261128);
    for (let i = 0; i < 250; i++) {
      const o = randomOutput(r, i % 3 === 0 ? 0.2 : 0);
      const want = original.call(o);
      const got = fast.get.call(o);
      if (got.output !== want.output) expect({ case: i, got: got.output }).toEqual({ case: i, got: want.output });
      expect(got.height).toBe(want.height);
    }
    // most frames took the fast path, and the ones with hard text went to ink
    expect(fast.stats.fast).toBeGreaterThan(125);
    expect(fast.stats.fallback).toBeGreaterThan(25);
  });

  it('leaves wide, combining and escape-laden text to ink', () => {
    const fast = createFastGet(Output, original);
    for (const hard of HARD) {
      const o = new Output({ width: 20, height: 2 });
      o.write(1, 0, `ab${hard}cd`, { transformers: [] });
      expect(fast.get.call(o).output).toBe(original.call(o).output);
    }
    expect(fast.stats).toEqual({ fast: 0, fallback: HARD.length });
  });

  it('keeps colours, inverse and bold exactly, from the first cell to the last', () => {
    const fast = createFastGet(Output, original);
    const o = new Output({ width: 12, height: 3 });
    o.write(0, 0, '\x1b[7mAB\x1b[27m \x1b[32m█░\x1b[39m', { transformers: [] });
    o.write(0, 1, 'x', { transformers: [(l) => `\x1b[1m${l}\x1b[22m`] });
    o.write(4, 2, 'end  ', { transformers: [] });
    const frame = fast.get.call(o).output;
    expect(frame).toBe(original.call(o).output);
    expect(frame.split('\n')).toEqual(['\x1b[7mAB\x1b[27m \x1b[32m█░\x1b[39m', '\x1b[1mx\x1b[22m', '    end']);
    expect(fast.stats.fast).toBe(1);
  });

  it('is what ink renders the dashboard with, and the dashboard looks the same in colour', async () => {
    const status = await installFastOutput();
    expect(status).toMatchObject({ installed: true });
    // ink's own chalk, coloured for this test as a terminal would be
    const inkEntry = createRequire(import.meta.url).resolve('ink');
    const chalk = ((await import(pathToFileURL(createRequire(inkEntry).resolve('chalk')).href)) as { default: { level: number } }).default;
    const level = chalk.level;
    chalk.level = 1;
    const patched = Output.prototype.get;
    try {
      const fleet = createFakeFleet(Array.from({ length: 60 }, (_, i) => fakeDevice(`EI-ML-${String(i + 1).padStart(4, '0')}`, { lastSeen: 1_000_000 - i * 1000, lastLog: `[info] step ${i}` })));
      fleet.set('EI-ML-0002', { phase: 'downloading', progress: 40 });
      fleet.set('EI-ML-0003', { run: 'crashed', error: 'exit 1…' });
      const frameWith = async () => {
        const store = createFleetStore(fleet, { refreshMs: 60_000, now: () => 1_000_000 });
        const ui = render(<App fleet={fleet} store={store} size={{ columns: 120, rows: 40 }} now={() => 1_000_000} />);
        await store.refresh();
        await new Promise((r) => setTimeout(r, 30));
        store.stop();
        const frame = ui.lastFrame() ?? '';
        ui.unmount();
        return frame;
      };
      const before = { ...status.stats };
      const fastFrame = await frameWith();
      expect(status.stats.fast).toBeGreaterThan(before.fast);
      expect(status.stats.fallback).toBe(before.fallback);
      Output.prototype.get = original;
      const inkFrame = await frameWith();
      expect(fastFrame).toContain('\x1b[32m'); // coloured: the state cells
      expect(fastFrame).toContain('█');
      expect(fastFrame).toBe(inkFrame);
    } finally {
      Output.prototype.get = patched;
      chalk.level = level;
      cleanup();
    }
  });
});

afterEach(() => cleanup());
