import { describe, expect, it } from 'vitest';
import { sanitizeUrl } from './sanitize-url.js';

describe('sanitizeUrl', () => {
  it('filters the query string and the user:password before the host', () => {
    expect(sanitizeUrl('https://cdn.example/b/1')).toBe('https://cdn.example/b/1');
    expect(sanitizeUrl('https://cdn.example/b/1?X-Amz-Signature=abc')).toBe('https://cdn.example/b/1?[FILTERED]');
    expect(sanitizeUrl('http://user:s3cr3tpass@127.0.0.1:8080/b?token=abc')).toBe('http://[FILTERED]@127.0.0.1:8080/b?[FILTERED]');
    expect(sanitizeUrl(new URL('http://u:p%40ss@h/x@y'))).toBe('http://[FILTERED]@h/x@y');
    expect(sanitizeUrl('http://h/path@not-userinfo')).toBe('http://h/path@not-userinfo');
  });
});
