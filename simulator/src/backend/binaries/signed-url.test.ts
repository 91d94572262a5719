import { describe, expect, it } from 'vitest';
import { createUrlSigner } from './signed-url.js';

describe('createUrlSigner', () => {
  const signer = createUrlSigner(Buffer.from('0123456789abcdef0123456789abcdef'), 60);
  const parse = (path: string) => new URL(path, 'http://x');

  it('accepts its own URL until it expires', () => {
    const u = parse(signer.path('b-1', 1_000_000));
    expect(signer.verify('b-1', u.searchParams.get('expires'), u.searchParams.get('signature'), 1_000_000)).toBe('ok');
    expect(signer.verify('b-1', u.searchParams.get('expires'), u.searchParams.get('signature'), 1_000_000 + 61_000)).toBe('expired');
  });

  it('refuses another binary, a moved expiry, a forged signature, or another secret', () => {
    const u = parse(signer.path('b-1', 1_000_000));
    const e = u.searchParams.get('expires');
    const s = u.searchParams.get('signature');
    expect(signer.verify('b-2', e, s, 1_000_000)).toBe('invalid');
    expect(signer.verify('b-1', String(Number(e) + 3600), s, 1_000_000)).toBe('invalid');
    expect(signer.verify('b-1', e, 'A'.repeat(43), 1_000_000)).toBe('invalid');
    expect(signer.verify('b-1', null, s, 1_000_000)).toBe('invalid');
    const other = createUrlSigner(Buffer.from('another secret, another backend!'), 60);
    expect(other.verify('b-1', e, s, 1_000_000)).toBe('invalid');
  });
});
