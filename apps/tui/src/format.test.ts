import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { cell, columnIndex, MAX_TEXT, shorten, visible } from './format.js';

describe('cell', () => {
  it('pads and cuts ASCII to exactly the width', () => {
    expect(cell('abc', 5)).toBe('abc  ');
    expect(cell('abc', 5, 'right')).toBe('  abc');
    expect(cell('abcdefgh', 5)).toBe('abcd…');
    expect(cell('x', 0)).toBe('');
  });

  it('measures wide characters as two columns and never splits a character', () => {
    expect(stringWidth('日本語')).toBe(6);
    expect(stringWidth('🙂🚀')).toBe(4);
    expect(stringWidth('é')).toBe(1);
    expect(cell('日本語', 8)).toBe('日本語  ');
    // 7 columns: 日本語 would leave one for the ellipsis only after 3 × 2 = 6
    expect(cell('日本語タグ🙂', 7)).toBe('日本語…');
    expect(stringWidth(cell('日本語タグ🙂', 7))).toBe(7);
    // a cut that would fall in the middle of a wide character pads instead
    expect(cell('日本語タグ', 6)).toBe('日本… ');
    expect(cell('👩‍👩‍👧 family', 4)).toBe('👩‍👩‍👧 …');
    expect(cell('日本', 6, 'right')).toBe('  日本');
  });

  it('finds the string index of a terminal column across wide characters', () => {
    expect(columnIndex('abc', 2)).toBe(2);
    expect(columnIndex('abc', 9)).toBe(3);
    expect(columnIndex('日本x', 2)).toBe(1);
    expect(columnIndex('日本x', 4)).toBe(2);
    expect(columnIndex('🙂ab', 2)).toBe(2);
  });
});

describe('hostile text in a cell', () => {
  it('shows escape sequences, controls, bidi overrides, zero-width characters and lone surrogates as \\u text', () => {
    expect(cell('a\x1b]0;pwn\x07b', 22)).toBe('a\\u001b]0;pwn\\u0007b  ');
    expect(cell('log\x1b[31mred\x9b2J', 30)).toBe('log\\u001b[31mred\\u009b2J'.padEnd(30));
    expect(cell('line\nnext\rtab\t', 30)).toBe('line\\u000anext\\u000dtab\\u0009'.padEnd(30));
    expect(cell('1.\u202e0.2', 12)).toBe('1.\\u202e0.2 ');
    expect(cell('EI\u200b1\ufeff', 20)).toBe('EI\\u200b1\\ufeff'.padEnd(20));
    expect(cell('x\ud800y', 10)).toBe('x\\ud800y  ');
    // what emoji and scripts are made of stays: joiners, combining marks, pairs
    expect(cell('👩‍👩‍👧 é 😀', 9)).toBe('👩‍👩‍👧 é 😀  ');
    for (const t of ['\x1b[2J', '\x00\x7f\x85\x9b', '\u2028\u2029\u2066\u2069\u200e', '\ud83d']) {
      const c = cell(t, 40);
      // eslint-disable-next-line no-control-regex
      expect(c).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u2066-\u2069\u200e\u202e]/);
      expect(stringWidth(c)).toBe(40);
    }
  });

  it('cuts an escaped text to the width like any other', () => {
    expect(cell('\x1b[31mred', 8)).toBe('\\u001b[…');
    expect(visible('plain')).toBe('plain');
    expect(visible('é\x1b')).toBe('é\\u001b');
  });

  it('looks at no more of a long text than its width needs (100 kB took string-width 1.5 s)', () => {
    const texts = Array.from({ length: 5 }, (_, i) => `${'A'.repeat(100_000)}é${i}`);
    const t0 = performance.now();
    const cells = texts.map((t) => cell(t, 70));
    const ms = performance.now() - t0;
    expect(cells[0]).toBe(`${'A'.repeat(69)}…`);
    expect(ms).toBeLessThan(500);
    expect(cell(`${'日'.repeat(50_000)}`, 9)).toBe('日日日日…');
    // a grapheme of 100,000 combining marks is cut too, with its ellipsis
    const zalgo = cell(`e${'\u0301'.repeat(100_000)}`, 5);
    expect(zalgo.length).toBeLessThan(100);
    expect(zalgo.trimEnd().endsWith('…')).toBe(true);
    expect(cell(`${'😀'.repeat(40_000)}`, 5)).toBe('😀😀…');
  });
});

describe('shorten', () => {
  it('keeps at most MAX_TEXT characters of a kept text, without splitting a pair', () => {
    expect(shorten('abc')).toBe('abc');
    expect(shorten('x'.repeat(MAX_TEXT + 1))).toBe(`${'x'.repeat(MAX_TEXT)}…`);
    expect(shorten(`${'x'.repeat(MAX_TEXT - 2)}😀`)).toBe(`${'x'.repeat(MAX_TEXT - 2)}😀`);
    expect(shorten(`${'x'.repeat(MAX_TEXT - 1)}😀yz`)).toBe(`${'x'.repeat(MAX_TEXT - 1)}…`);
  });
});
