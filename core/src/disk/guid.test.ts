import { describe, expect, it } from 'vitest';
import { LINUX_FILESYSTEM_GUID, normalizeGuid, readGuid, writeGuid } from './guid.js';

describe('GUID encoding', () => {
  it('stores the Linux filesystem type GUID in UEFI mixed-endian order', () => {
    const buf = Buffer.alloc(16);
    writeGuid(LINUX_FILESYSTEM_GUID, buf, 0);
    // Bytes as they appear on disk in every GPT that uses this type (e.g. written by sfdisk).
    expect(buf.toString('hex')).toBe('af3dc60f838472478e793d69d8477de4');
    expect(readGuid(buf, 0)).toBe(LINUX_FILESYSTEM_GUID);
  });

  it('round-trips at an offset', () => {
    const buf = Buffer.alloc(40, 0xff);
    writeGuid('00112233-4455-6677-8899-aabbccddeeff', buf, 20);
    expect(buf.subarray(20, 36).toString('hex')).toBe('33221100554477668899aabbccddeeff');
    expect(readGuid(buf, 20)).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(buf[19]).toBe(0xff);
    expect(buf[36]).toBe(0xff);
  });

  it('normalizes case and rejects junk naming where it came from', () => {
    expect(normalizeGuid('0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'x')).toBe(LINUX_FILESYSTEM_GUID);
    expect(() => normalizeGuid('0fc63daf-8483-4772-8e79', 'partition 2 guid')).toThrow(
      /partition 2 guid: "0fc63daf-8483-4772-8e79" is not a GUID; expected the form/,
    );
  });
});
