import { describe, expect, it } from 'vitest';
import { decodeOid } from './der-read.js';
import { objectIdentifier, octetString, time, unsignedInteger } from './der-write.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('DER encoder', () => {
  it('encodes INTEGER minimally, padding a set high bit and dropping leading zeros', () => {
    expect(hex(unsignedInteger(Buffer.from([0x7f])))).toBe('02017f');
    expect(hex(unsignedInteger(Buffer.from([0x80])))).toBe('02020080');
    expect(hex(unsignedInteger(Buffer.from([0, 0, 0x01, 0x02])))).toBe('02020102');
    expect(hex(unsignedInteger(Buffer.from([0])))).toBe('020100');
  });

  it('encodes OIDs with multi-byte arcs and decodes them back', () => {
    expect(hex(objectIdentifier('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(objectIdentifier('2.5.29.19'))).toBe('0603551d13');
    for (const oid of ['1.3.101.112', '1.3.6.1.5.5.7.3.2', '2.999.3']) {
      expect(decodeOid(objectIdentifier(oid).subarray(2))).toBe(oid);
    }
  });

  it('uses short, one-byte and two-byte long-form lengths', () => {
    expect(hex(octetString(Buffer.alloc(127)).subarray(0, 2))).toBe('047f');
    expect(hex(octetString(Buffer.alloc(200)).subarray(0, 3))).toBe('0481c8');
    expect(hex(octetString(Buffer.alloc(300)).subarray(0, 4))).toBe('0482012c');
    expect(octetString(Buffer.alloc(300)).length).toBe(304);
  });

  it('writes UTCTime up to 2049 and GeneralizedTime from 2050 (RFC 5280)', () => {
    expect(time(new Date('2049-12-31T23:59:59.900Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(time(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
    expect(time(new Date('1999-02-03T04:05:06Z')).toString('latin1')).toBe('\x17\x0d990203040506Z');
  });
});
