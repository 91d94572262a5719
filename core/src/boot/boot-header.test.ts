import zlib from 'node:zlib';
import { describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import { BOOT_HEADER_SIZE, decodeBootHeader, encodeBootHeader } from './boot-header.js';
import type { BootHeaderMeta } from './boot-meta.js';

const META: BootHeaderMeta = {
  name: 'edge-inference-os',
  version: '1.13.0',
  health: 'ok',
  platform: 'vfleet',
  architecture: 'arm64-v8',
  uuid: '53fd2ef6-1bf3-4695-84ed-c3195c7c8d9e',
  created: '2025-11-28T00:00:00Z',
};

function failure(fn: () => unknown): VfleetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    return e as VfleetError;
  }
  return expect.unreachable('expected a VfleetError');
}

/** A header whose JSON region holds `json` verbatim, with a correct CRC. */
function rawHeader(json: Buffer, version = 1): Buffer {
  const header = Buffer.alloc(BOOT_HEADER_SIZE);
  header.write('VFLEETOS', 0, 'ascii');
  header.writeUInt16BE(version, 8);
  header.writeUInt16BE(16 + json.length, 10);
  json.copy(header, 12);
  header.writeUInt32LE(zlib.crc32(header.subarray(0, 12 + json.length)) >>> 0, 12 + json.length);
  return header;
}

describe('encodeBootHeader', () => {
  it('lays out magic, version, length, JSON and CRC as documented', () => {
    const header = encodeBootHeader({ name: 'os', version: '1.0.0', health: 'crash' });
    const json = '{"name":"os","version":"1.0.0","health":"crash"}';
    expect(header.length).toBe(4096);
    expect(header.toString('ascii', 0, 8)).toBe('VFLEETOS');
    expect(header.readUInt16BE(8)).toBe(1);
    expect(header.readUInt16BE(10)).toBe(16 + json.length);
    expect(header.toString('utf8', 12, 12 + json.length)).toBe(json);
    expect(header.readUInt32LE(12 + json.length)).toBe(zlib.crc32(header.subarray(0, 12 + json.length)) >>> 0);
    expect(header.subarray(16 + json.length).every((b) => b === 0)).toBe(true);
  });

  it('writes the keys in canonical order whatever the input order', () => {
    const shuffled = { created: META.created, uuid: META.uuid, health: META.health, version: META.version, name: META.name } as BootHeaderMeta;
    const header = encodeBootHeader(shuffled);
    const json = header.toString('utf8', 12, header.readUInt16BE(10) - 4);
    expect(Object.keys(JSON.parse(json) as object)).toEqual(['name', 'version', 'health', 'uuid', 'created']);
  });

  it.each<[string, unknown, RegExp]>([
    ['empty name', { ...META, name: '' }, /\$\.name is ""; expected a non-empty string/],
    ['missing version', { name: 'os', health: 'ok' }, /\$\.version is missing/],
    ['unknown health', { ...META, health: 'sick' }, /\$\.health is "sick"; expected one of ok, crash, no-network/],
    ['NUL in a value', { ...META, platform: 'a\u0000b' }, /\$\.platform .* contains a control character/],
    ['empty optional', { ...META, uuid: '' }, /\$\.uuid is ""/],
    ['JSON over 3800 bytes', { ...META, created: 'x'.repeat(3800) }, /JSON is \d+ bytes; at most 3800 are accepted/],
  ])('rejects %s', (_label, meta, message) => {
    const error = failure(() => encodeBootHeader(meta as BootHeaderMeta));
    expect(error.code).toBe('VFLEET_USAGE');
    expect(error.message).toMatch(message);
  });

  it('accepts metadata whose JSON is exactly 3800 bytes', () => {
    const base = JSON.stringify({ name: 'os', version: '1', health: 'ok', created: '' }).length;
    const meta: BootHeaderMeta = { name: 'os', version: '1', health: 'ok', created: 'é'.repeat((3800 - base) / 2) };
    const header = encodeBootHeader(meta);
    expect(header.readUInt16BE(10)).toBe(3816);
    expect(decodeBootHeader(header, 'test')).toEqual(meta);
  });
});

describe('decodeBootHeader', () => {
  it.each<[string, BootHeaderMeta]>([
    ['all fields', META],
    ['required fields only', { name: 'edge-inference-os', version: '1.12.1', health: 'no-network' }],
    ['non-ASCII values', { name: 'système', version: '2.0.0-rc.1', health: 'crash', platform: '平台' }],
  ])('round-trips %s', (_label, meta) => {
    expect(decodeBootHeader(encodeBootHeader(meta), 'slot a')).toEqual(meta);
  });

  it('reads the header at the start of a longer slot', () => {
    const slot = Buffer.concat([encodeBootHeader(META), Buffer.alloc(8192, 0xa5)]);
    expect(decodeBootHeader(slot, 'rootfs-b')).toEqual(META);
  });

  it('returns null for an all-zero slot', () => {
    expect(decodeBootHeader(Buffer.alloc(8192), 'rootfs-b')).toBeNull();
  });

  it('ignores unknown metadata keys', () => {
    const header = rawHeader(Buffer.from('{"name":"os","version":"1","health":"ok","future":{"x":1}}'));
    expect(decodeBootHeader(header, 's')).toEqual({ name: 'os', version: '1', health: 'ok' });
  });

  const good = encodeBootHeader(META);
  const length = good.readUInt16BE(10);
  const corrupt = (edit: (b: Buffer) => void): Buffer => {
    const copy = Buffer.from(good);
    edit(copy);
    return copy;
  };

  it.each<[string, Buffer, string]>([
    ['a short read', good.subarray(0, 4095), 'disk.img rootfs-b: boot header: truncated: 4095 bytes, a boot header needs 4096'],
    ['foreign data', corrupt((b) => b.write('hsqs', 0)), 'disk.img rootfs-b: boot header: bad magic at byte offset 0: found 6873717345544f53, expected "VFLEETOS" (56464c4545544f53); not a vfleet OS image'],
    ['a newer format', corrupt((b) => b.writeUInt16BE(2, 8)), 'disk.img rootfs-b: boot header: format version 2 at byte offset 8 is not supported; expected 1'],
    ['a length past the limit', corrupt((b) => b.writeUInt16BE(3817, 10)), 'disk.img rootfs-b: boot header: header length 3817 at byte offset 10 is out of range; expected 18..3816'],
    ['a length below the minimum', corrupt((b) => b.writeUInt16BE(17, 10)), 'disk.img rootfs-b: boot header: header length 17 at byte offset 10 is out of range; expected 18..3816'],
  ])('rejects %s', (_label, bytes, message) => {
    const error = failure(() => decodeBootHeader(bytes, 'disk.img rootfs-b'));
    expect(error.code).toBe('VFLEET_DISK_INVALID');
    expect(error.message).toBe(message);
  });

  it('rejects a flipped JSON byte with the CRC offset and both CRCs', () => {
    const bad = corrupt((b) => (b[20] = (b[20] as number) ^ 0x01));
    const computed = (zlib.crc32(bad.subarray(0, length - 4)) >>> 0).toString(16).padStart(8, '0');
    const stored = good.readUInt32LE(length - 4).toString(16).padStart(8, '0');
    expect(failure(() => decodeBootHeader(bad, 'slot b')).message).toBe(
      `slot b: boot header: CRC mismatch at byte offset ${length - 4}: stored 0x${stored}, computed 0x${computed} over bytes 0..${length - 5}`,
    );
  });

  it('rejects a non-zero padding byte by its offset', () => {
    const bad = corrupt((b) => (b[4000] = 0x41));
    expect(failure(() => decodeBootHeader(bad, 'slot b')).message).toBe(
      `slot b: boot header: non-zero byte 0x41 at byte offset 4000 in the padding; bytes ${length}..4095 must be zero`,
    );
  });

  it('rejects invalid JSON with the byte offset of the error', () => {
    // "é" is two bytes, so the stray "}" at character position 7 is at byte offset 12 + 8.
    const error = failure(() => decodeBootHeader(rawHeader(Buffer.from('{"é":1,}')), 'slot a'));
    expect(error.message).toMatch(/^slot a: boot header: metadata JSON is not valid at byte offset 20: /);
  });

  it('rejects invalid UTF-8 at the metadata offset', () => {
    const error = failure(() => decodeBootHeader(rawHeader(Buffer.from([0x7b, 0xff, 0x7d])), 'slot a'));
    expect(error.message).toBe('slot a: boot header: metadata at byte offset 12 (3 bytes) is not valid UTF-8');
  });

  it.each<[string, string, string]>([
    ['an array', '[1]', 'expected a JSON object with name, version and health, got an array'],
    ['a bad health', '{"name":"os","version":"1","health":"bad"}', '$.health is "bad"; expected one of ok, crash, no-network'],
    ['a numeric version', '{"name":"os","version":1,"health":"ok"}', '$.version is 1; expected a non-empty string'],
  ])('rejects metadata that is %s', (_label, json, detail) => {
    const error = failure(() => decodeBootHeader(rawHeader(Buffer.from(json)), 'slot a'));
    expect(error.code).toBe('VFLEET_DISK_INVALID');
    expect(error.message).toBe(`slot a: boot header: metadata at byte offset 12: ${detail}`);
  });
});
