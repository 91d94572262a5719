import { describe, expect, it } from 'vitest';
import { ttlSeconds } from './tunnel.js';

describe('vfleet tunnel --ttl', () => {
  it('takes seconds, minutes and hours up to a day', () => {
    expect(ttlSeconds('1h')).toBe(3600);
    expect(ttlSeconds('30m')).toBe(1800);
    expect(ttlSeconds('90s')).toBe(90);
    expect(ttlSeconds('600')).toBe(600);
    expect(ttlSeconds('24h')).toBe(86_400);
  });

  it('refuses what the backend would refuse, naming the flag', () => {
    for (const bad of ['0', '25h', '1d', '-5m', 'soon', '']) expect(() => ttlSeconds(bad)).toThrow(/^--ttl .*expected a duration from 1s to 24h/);
  });
});
