import { describe, expect, it } from 'vitest';
import { Fields, show } from './fields.js';

describe('store fields in error messages', () => {
  it('quotes a value with DEL and C1 controls escaped, as JSON leaves them raw', () => {
    expect(show('a\u009b2Jb\u007f')).toBe('"a\\u009b2Jb\\u007f"');
  });

  it('cuts a long value at 60 characters without splitting a surrogate pair', () => {
    const long = `${'x'.repeat(55)}😀${'y'.repeat(10)}`;
    const text = show(long);
    expect(text).toBe(`"${'x'.repeat(55)}...`);
    expect(show('z'.repeat(100))).toBe(`"${'z'.repeat(56)}...`);
    expect(show('short')).toBe('"short"');
  });

  it('names an unknown field with its controls escaped, in the path and the message', () => {
    let error: unknown;
    try {
      new Fields('release', { 'na\u001b[2Jme': 1 }, ['name']);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      field: 'release.na\\u001b[2Jme',
      message: 'release.na\\u001b[2Jme: unknown field na\\u001b[2Jme (accepted: name)',
    });
  });
});
