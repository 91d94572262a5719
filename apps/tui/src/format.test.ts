import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { cell, columnIndex } from './format.js';

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
