import { describe, expect, it } from 'vitest';
import { allowlistChecker, allowlistEntryError } from './allowlist.js';

describe('tunnel cidr_block_allowlist', () => {
  it('accepts IPv4 and IPv6 blocks and bare addresses, and names what is wrong with the rest', () => {
    for (const ok of ['127.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', '2001:db8::/32', '::/0']) expect(allowlistEntryError(ok)).toBeUndefined();
    expect(allowlistEntryError('garbage')).toMatch(/"garbage" is not an IPv4 or IPv6 address/);
    expect(allowlistEntryError('999.1.1.1/8')).toMatch(/not an IPv4 or IPv6/);
    expect(allowlistEntryError('10.0.0.0/33')).toMatch(/prefix length must be 0 to 32/);
    expect(allowlistEntryError('::1/129')).toMatch(/0 to 128/);
    expect(allowlistEntryError('10.0.0.0/x')).toMatch(/prefix length/);
    expect(allowlistEntryError('10.0.0.0/')).toMatch(/prefix length/);
  });

  it('lets in only clients inside a listed block; an empty list lets everyone in', () => {
    expect(allowlistChecker([])).toBeUndefined();
    const allowed = allowlistChecker(['127.0.0.0/8', '::1']);
    expect(allowed?.('127.0.0.1')).toBe(true);
    expect(allowed?.('::ffff:127.0.0.2')).toBe(true);
    expect(allowed?.('::1')).toBe(true);
    expect(allowed?.('10.1.2.3')).toBe(false);
    expect(allowed?.('::2')).toBe(false);
    expect(allowed?.(undefined)).toBe(false);
    expect(allowlistChecker(['10.0.0.0/8'])?.('127.0.0.1')).toBe(false);
  });
});
