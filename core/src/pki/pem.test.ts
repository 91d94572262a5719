import { describe, expect, it } from 'vitest';
import { decodePem, encodePem } from './pem.js';

describe('PEM', () => {
  it('wraps base64 at 64 columns and reads it back', () => {
    const der = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const pem = encodePem('CERTIFICATE', der);
    const lines = pem.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.slice(1, -1).map((l) => l.length)).toEqual([64, 64, 8]);
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    expect(decodePem(pem, ['CERTIFICATE'], 'x').der.equals(der)).toBe(true);
  });

  it('skips blocks with other labels, e.g. the EC PARAMETERS `openssl ecparam -genkey` writes first', () => {
    const text = encodePem('EC PARAMETERS', Buffer.from([6, 8])) + encodePem('EC PRIVATE KEY', Buffer.from([1, 2, 3]));
    expect(decodePem(text, ['EC PRIVATE KEY', 'PRIVATE KEY'], 'key.pem')).toEqual({
      label: 'EC PRIVATE KEY',
      der: Buffer.from([1, 2, 3]),
    });
  });

  it('names the file and what is wrong', () => {
    expect(() => decodePem('hello', ['CERTIFICATE'], 'device-certificate.pem')).toThrow(
      'device-certificate.pem: expected a PEM block "-----BEGIN CERTIFICATE-----", no BEGIN line at all',
    );
    expect(() => decodePem(encodePem('PUBLIC KEY', Buffer.from([1])), ['CERTIFICATE'], 'c.pem')).toThrow(
      'c.pem: expected a PEM block "-----BEGIN CERTIFICATE-----", found only "BEGIN PUBLIC KEY"',
    );
    expect(() => decodePem('-----BEGIN CERTIFICATE-----\nAAAA\n', ['CERTIFICATE'], 'c.pem')).toThrow(
      'c.pem: no "-----END CERTIFICATE-----" line',
    );
    expect(() =>
      decodePem('-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----', ['CERTIFICATE'], 'c.pem'),
    ).toThrow('c.pem: CERTIFICATE block is not valid base64 (character "*" at base64 offset 2)');
  });
});
