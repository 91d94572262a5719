import { describe, expect, it } from 'vitest';
import { VfleetError } from '../errors.js';
import { decodeFwupArchive } from './archive.js';
import { createFwupKeyPair } from './keys.js';
import { fwupMetadataLines, listFwupTasks } from './list.js';
import { readVector, vectorText } from './test-vectors.js';
import { verifyFwupArchive } from './verify.js';
import { listZipEntries, readZipEntry } from './zip-read.js';
import { encodeZip } from './zip-write.js';

const unsigned = readVector('ab-upgrade.fw');
const signed = readVector('ab-upgrade-signed.fw');
const pub = vectorText('fwup-key.pub');

function rejection(fn: () => unknown): VfleetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    return e as VfleetError;
  }
  return expect.unreachable('expected a rejection');
}

/** The signed vector rebuilt with `rootfs` as its resource: valid ZIP, valid signature, wrong hash. */
function withResource(rootfs: Buffer): Buffer {
  const entries = listZipEntries(signed, 'signed');
  const data = (name: string): Buffer => readZipEntry(signed, entries.find((e) => e.name === name)!, 'signed');
  return encodeZip([
    { name: 'meta.conf.ed25519', data: data('meta.conf.ed25519'), compression: 'store', mtime: new Date(0) },
    { name: 'meta.conf', data: data('meta.conf'), compression: 'deflate', mtime: new Date(0) },
    { name: 'data/rootfs.img', data: rootfs, compression: 'deflate', mtime: new Date(0) },
  ]);
}

/** `zip` with the central directory claiming `size` uncompressed bytes for the deflated entry `name`. */
function declareSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  let at = out.readUInt32LE(out.length - 22 + 16);
  while (out.readUInt32LE(at) === 0x02014b50) {
    const nameLength = out.readUInt16LE(at + 28);
    if (out.toString('utf8', at + 46, at + 46 + nameLength) === name) {
      out.writeUInt32LE(size, at + 24);
      return out;
    }
    at += 46 + nameLength + out.readUInt16LE(at + 30) + out.readUInt16LE(at + 32);
  }
  throw new Error(`no entry ${name}`);
}

describe('decodeFwupArchive / verifyFwupArchive on the fwup 1.16 vectors', () => {
  it('verifies both archives; the signature status depends on the key given', () => {
    expect(verifyFwupArchive(decodeFwupArchive(unsigned))).toEqual({
      signatureStatus: 'unsigned',
      message: 'Valid archive without a signature',
      resources: ['rootfs.img'],
    });
    expect(verifyFwupArchive(decodeFwupArchive(signed)).signatureStatus).toBe('unverified');
    expect(verifyFwupArchive(decodeFwupArchive(signed, { publicKeys: [pub] })).message).toBe('Valid archive with a good signature');
  });

  it('lists tasks and metadata as fwup -l / -m do, with the creation date from meta.conf', () => {
    const archive = decodeFwupArchive(signed, { publicKeys: [pub] });
    expect(listFwupTasks(archive)).toEqual(['upgrade.a', 'upgrade.b', 'upgrade.unexpected']);
    const lines = fwupMetadataLines(archive);
    expect(lines.slice(0, 5)).toEqual([
      'meta-product="edge-inference-os"',
      'meta-version=1.13.0',
      'meta-platform=vfleet',
      'meta-architecture="arm64-v8"',
      'meta-creation-date="2025-11-28T00:00:00Z"',
    ]);
    expect(lines[5]).toMatch(/^meta-uuid="[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"$/);
  });

  it('refuses an unsigned archive when a public key is given', () => {
    const e = rejection(() => decodeFwupArchive(unsigned, { source: 'ab-upgrade.fw', publicKeys: [pub] }));
    expect(e.code).toBe('VFLEET_SIGNATURE_INVALID');
    expect(e.message).toMatch(/^ab-upgrade\.fw: Expecting signed firmware archive\./);
  });

  it('refuses a signature from another key and a damaged signature', () => {
    const other = createFwupKeyPair().publicKey;
    expect(rejection(() => decodeFwupArchive(signed, { publicKeys: [other] })).message).toContain("Firmware archive's meta.conf fails digital signature verification.");
    const signatureOffset = listZipEntries(signed, 's')[0]!.dataOffset;
    const damaged = Buffer.from(signed);
    damaged[signatureOffset] = damaged[signatureOffset]! ^ 1;
    // In place, the stored entry's CRC catches the flip; rebuilt with a fresh CRC, Ed25519 does.
    expect(rejection(() => decodeFwupArchive(damaged, { publicKeys: [pub] })).message).toMatch(/"meta\.conf\.ed25519" .*CRC-32 mismatch/);
    const entries = listZipEntries(damaged, 'd');
    const rebuilt = encodeZip([
      { name: 'meta.conf.ed25519', data: damaged.subarray(signatureOffset, signatureOffset + 64), compression: 'store', mtime: new Date(0) },
      { name: 'meta.conf', data: readZipEntry(damaged, entries[1]!, 'd'), compression: 'deflate', mtime: new Date(0) },
    ]);
    const e = rejection(() => decodeFwupArchive(rebuilt, { source: 'r.fw', publicKeys: [pub] }));
    expect(e.code).toBe('VFLEET_SIGNATURE_INVALID');
    expect(e.message).toBe("r.fw: Firmware archive's meta.conf fails digital signature verification. (tried 1 public key)");
  });

  it('detects a resource whose bytes do not match meta.conf although ZIP and signature are valid', () => {
    const tampered = Buffer.from(readVector('rootfs.img'));
    tampered[100] = tampered[100]! ^ 0xff;
    const archive = decodeFwupArchive(withResource(tampered), { source: 't.fw', publicKeys: [pub] });
    expect(rejection(() => verifyFwupArchive(archive)).message).toMatch(/^t\.fw: data\/rootfs\.img \(ZIP entry at byte \d+\): Detected blake2b digest mismatch for rootfs\.img: meta\.conf says 6adc29aa/);
    const short = decodeFwupArchive(withResource(tampered.subarray(1)), { source: 's.fw' });
    expect(rejection(() => verifyFwupArchive(short)).message).toMatch(/ZIP data length mismatch for rootfs\.img: 65535 bytes, meta\.conf says 65536/);
  });

  it('refuses meta.conf and its signature by their declared sizes, before inflating anything', () => {
    const meta = readZipEntry(unsigned, listZipEntries(unsigned, 'u').find((e) => e.name === 'meta.conf')!, 'u');
    const zip = encodeZip([{ name: 'meta.conf', data: meta, compression: 'deflate', mtime: new Date(0) }]);
    // a deflate bomb declares gigabytes; the data here is small, so only the declared size is at stake
    const bomb = declareSize(zip, 'meta.conf', 0xfffffffe);
    const started = performance.now();
    expect(rejection(() => decodeFwupArchive(bomb, { source: 'bomb.fw' })).message).toBe('bomb.fw: Unexpected meta.conf size: 4294967294 (expected 10..49999 bytes)');
    expect(performance.now() - started).toBeLessThan(1000);
    const sig = encodeZip([
      { name: 'meta.conf.ed25519', data: Buffer.alloc(64), compression: 'deflate', mtime: new Date(0) },
      { name: 'meta.conf', data: meta, compression: 'deflate', mtime: new Date(0) },
    ]);
    expect(rejection(() => decodeFwupArchive(declareSize(sig, 'meta.conf.ed25519', 1 << 30), { source: 's.fw' })).message).toBe('s.fw: Unexpected meta.conf.ed25519 size: 1073741824 (expected 64)');
  });

  it('requires meta.conf first (after an optional signature)', () => {
    const zip = encodeZip([{ name: 'data/x', data: Buffer.from('x'), compression: 'store', mtime: new Date(0) }]);
    expect(rejection(() => decodeFwupArchive(zip, { source: 'x.fw' })).message).toBe('x.fw: Expecting meta.conf to be at the beginning of x.fw (found "data/x")');
  });
});
