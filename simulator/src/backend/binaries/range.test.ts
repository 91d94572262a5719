import { describe, expect, it } from 'vitest';
import { parseRange } from './range.js';

describe('parseRange', () => {
  it.each([
    [undefined, 100, { kind: 'full' }],
    ['bytes=10-', 100, { kind: 'partial', start: 10, end: 99 }],
    ['bytes=10-19', 100, { kind: 'partial', start: 10, end: 19 }],
    ['bytes=90-500', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=20-10', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=-', 100, { kind: 'unsatisfiable' }],
    ['Bytes= 10-19', 100, { kind: 'partial', start: 10, end: 19 }],
    ['bytes=x-1', 100, { kind: 'unsatisfiable' }],
    // ignored, so the whole content is sent: several ranges, another unit, no ranges-specifier
    ['bytes=0-1,5-6', 100, { kind: 'full' }],
    ['items=0-1', 100, { kind: 'full' }],
    ['0-1', 100, { kind: 'full' }],
  ] as const)('%s of %i bytes', (header, size, want) => {
    expect(parseRange(header, size)).toEqual(want);
  });
});
