import { describe, expect, it } from 'vitest';
import { describeTarget, requestUrl } from './request-url.js';

describe('requestUrl', () => {
  it('reads an origin-form target as a path with its query', () => {
    const url = requestUrl('/api/v1/products?limit=5', 'http://admin.invalid');
    expect(url?.pathname).toBe('/api/v1/products');
    expect(url?.searchParams.get('limit')).toBe('5');
  });

  it('keeps a target that starts with // a path on the origin, never a host', () => {
    expect(requestUrl('//', 'http://admin.invalid')?.pathname).toBe('//');
    const url = requestUrl('//evil.example/binaries/x', 'http://binaries');
    expect(url?.host).toBe('binaries');
    expect(url?.pathname).toBe('//evil.example/binaries/x');
  });

  it('normalises dot segments and takes an absolute-form target as it is', () => {
    expect(requestUrl('/a/../b', 'http://h')?.pathname).toBe('/b');
    expect(requestUrl('http://other:8080/x?y=1', 'http://h')?.pathname).toBe('/x');
  });

  it('gives undefined for targets that are not origin or absolute form', () => {
    for (const t of ['*', 'example.com:443', 'x', '', 'http://[bad/'] as const) expect(requestUrl(t, 'http://h')).toBeUndefined();
    expect(requestUrl(undefined, 'http://h')?.pathname).toBe('/');
  });

  it('describes a target quoted and cut to 80 characters', () => {
    expect(describeTarget('//')).toBe('"//"');
    expect(describeTarget('/'.repeat(200))).toBe(`"${'/'.repeat(80)}…"`);
  });
});
