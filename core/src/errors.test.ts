import { describe, expect, it } from 'vitest';
import { VfleetError, isVfleetError } from './errors.js';

describe('VfleetError', () => {
  it('keeps its code and cause', () => {
    const cause = new Error('inner');
    const e = new VfleetError('VFLEET_ENV_INVALID', 'bad env', { cause });
    expect(isVfleetError(e)).toBe(true);
    expect(e.code).toBe('VFLEET_ENV_INVALID');
    expect(e.cause).toBe(cause);
    expect(isVfleetError(new Error('x'))).toBe(false);
  });
});
