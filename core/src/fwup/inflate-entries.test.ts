import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VfleetError } from '../errors.js';
import { applyFwupArchiveToFile, planFwupApply } from './apply.js';
import { openFwupArchiveFile } from './archive.js';
import { createFwupArchive, fwupCall } from './create.js';
import { openImageFile } from './image-target.js';
import { inflateFwupResources } from './inflate-entries.js';
import { envLines, imageWithEnv, parseEnvLines, readVector, SLOT_B_OFFSET, vectorText } from './test-vectors.js';
import { listZipEntries, readZipEntry } from './zip-read.js';
import { encodeZip } from './zip-write.js';
import { FileBytes } from './zip-source.js';

const signed = readVector('ab-upgrade-signed.fw');
const unsigned = readVector('ab-upgrade.fw');
const pub = vectorText('fwup-key.pub');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let dir = '';
let unpacked = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-fwup-inflate-'));
  unpacked = path.join(dir, 'unpacked');
  fs.mkdirSync(unpacked);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, bytes: Buffer): string => {
  fs.writeFileSync(path.join(dir, name), bytes);
  return path.join(dir, name);
};
const image = (): string => write('disk.img', imageWithEnv(parseEnvLines(vectorText('env-before.txt'))));

/** Runs `fn`, expecting a VfleetError; returns its message. */
async function refusal(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    return (e as Error).message;
  }
  return expect.unreachable('expected a refusal');
}

/** A one-resource archive whose data/r.img entry says `declared` bytes (meta.conf agrees) but holds `actual` deflated. */
function lyingArchive(declared: Buffer, actual: Buffer): Buffer {
  const honest = createFwupArchive({
    meta: { product: 'p', version: '1.0.0', platform: 'x', architecture: 'y' },
    resources: [{ name: 'r.img', data: declared }],
    tasks: [{ name: 'go', onResource: [{ resource: 'r.img', calls: [fwupCall('raw_write', 0)] }] }],
  });
  const metaConf = readZipEntry(honest, listZipEntries(honest, 'h').find((e) => e.name === 'meta.conf')!, 'h');
  const zip = encodeZip([
    { name: 'meta.conf', data: metaConf, compression: 'deflate', mtime: new Date(0) },
    { name: 'data/r.img', data: actual, compression: 'deflate', mtime: new Date(0) },
  ]);
  const entry = listZipEntries(zip, 'z').find((e) => e.name === 'data/r.img')!;
  // the local and central headers' uncompressed size (and CRC) say what meta.conf says
  const crc = listZipEntries(honest, 'h').find((e) => e.name === 'data/r.img')!.crc32;
  const central = zip.lastIndexOf(Buffer.from('data/r.img')) - 46;
  for (const [at, sizeAt, crcAt] of [[entry.localOffset, 22, 14], [central, 24, 16]] as const) {
    zip.writeUInt32LE(declared.length, at + sizeAt);
    zip.writeUInt32LE(crc, at + crcAt);
  }
  return zip;
}

describe('inflateFwupResources', () => {
  it('inflates the fwup 1.16 vector into a file that the apply then reads by range, giving the image fwup gave', async () => {
    const fw = write('a.fw', signed);
    const inflated = await inflateFwupResources(fw, unpacked, { publicKeys: [pub] });
    expect([...inflated.keys()]).toEqual(['data/rootfs.img']);
    expect(fs.readFileSync(inflated.get('data/rootfs.img')!).equals(readVector('rootfs.img'))).toBe(true);

    // the plan holds the rootfs as a range of that file, not as bytes in memory
    const archive = openFwupArchiveFile(fw, { publicKeys: [pub], inflated });
    const target = openImageFile(image());
    try {
      const plan = planFwupApply(archive, target, { task: 'upgrade' });
      const rootfsWrite = plan.steps.find((s) => s.kind === 'write' && s.offset === SLOT_B_OFFSET);
      expect(rootfsWrite?.kind === 'write' && rootfsWrite.data instanceof FileBytes).toBe(true);
    } finally {
      target.close();
      archive.close();
    }

    const img = image();
    expect(applyFwupArchiveToFile(fw, img, { task: 'upgrade', publicKeys: [pub], inflated }).task).toBe('upgrade.b');
    const after = fs.readFileSync(img);
    expect(sha256(after.subarray(SLOT_B_OFFSET, SLOT_B_OFFSET + 65536))).toBe('c61d45bb38816222f2e9cee6dcc6f15e0bb0975920a45d35eda4107ba5505549');
    expect(envLines(after)).toBe(vectorText('env-after.txt').trim());
  });

  it('checks the signature before inflating anything', async () => {
    const fw = write('u.fw', unsigned);
    expect(await refusal(() => inflateFwupResources(fw, unpacked, { publicKeys: [pub] }))).toMatch(/Expecting signed firmware archive/);
    expect(fs.readdirSync(unpacked)).toEqual([]);
  });

  it('refuses resources declaring more than maxBytes before inflating anything', async () => {
    const fw = write('a.fw', signed);
    expect(await refusal(() => inflateFwupResources(fw, unpacked, { maxBytes: 65535 }))).toBe(
      `${fw}: image too small: the archive's deflated resources come to 65536 bytes, more than the 65535 allowed for this image`,
    );
    expect(fs.readdirSync(unpacked)).toEqual([]);
  });

  it('stops a deflate bomb at the declared size', async () => {
    // 4 KiB declared everywhere, 64 MiB of zeros (about 64 KiB deflated) inside
    const fw = write('bomb.fw', lyingArchive(randomBytes(4096), Buffer.alloc(64 * 1024 * 1024)));
    expect(await refusal(() => inflateFwupResources(fw, unpacked))).toMatch(/bomb\.fw: ZIP entry "data\/r\.img" \(data at byte \d+\): corrupt deflate data: inflates to more than the recorded 4096 bytes$/);
    const left = fs.readdirSync(unpacked).map((f) => fs.statSync(path.join(unpacked, f)).size);
    expect(left.every((size) => size <= 4096)).toBe(true);
  });

  it('names the entry of deflate data that is corrupt', async () => {
    const fw = Buffer.from(signed);
    const entry = listZipEntries(fw, 'fw').find((e) => e.name === 'data/rootfs.img')!;
    fw.fill(0xff, entry.dataOffset, entry.dataOffset + 16);
    const file = write('bad.fw', fw);
    expect(await refusal(() => inflateFwupResources(file, unpacked))).toMatch(/bad\.fw: ZIP entry "data\/rootfs\.img" \(data at byte \d+\): corrupt deflate data: /);
  });

  it('refuses deflate data that ends short of the declared size', async () => {
    const fw = write('short.fw', lyingArchive(randomBytes(4096), Buffer.alloc(1000, 7)));
    // the headers claim 4096 but the data inflates to 1000: caught after the stream ends
    expect(await refusal(() => inflateFwupResources(fw, unpacked))).toMatch(/inflates to 1000 bytes, the central directory says 4096$/);
  });

  it('stops when aborted', async () => {
    const fw = write('a.fw', signed);
    const controller = new AbortController();
    controller.abort();
    await expect(inflateFwupResources(fw, unpacked, { signal: controller.signal })).rejects.toThrow(/abort/i);
  });
});

describe('applyFwupArchiveToFile with inflated files', () => {
  it('refuses an inflated file that was changed afterwards (CRC-32), writing nothing', async () => {
    const fw = write('a.fw', signed);
    const inflated = await inflateFwupResources(fw, unpacked);
    const file = inflated.get('data/rootfs.img')!;
    const bytes = fs.readFileSync(file);
    bytes[100] = bytes[100]! ^ 1;
    fs.writeFileSync(file, bytes);
    const img = image();
    const before = fs.readFileSync(img);
    expect(await refusal(() => applyFwupArchiveToFile(fw, img, { task: 'upgrade', inflated }))).toMatch(/a\.fw: ZIP entry "data\/rootfs\.img" \(data at byte \d+\): CRC-32 mismatch/);
    expect(fs.readFileSync(img).equals(before)).toBe(true);
  });

  it('refuses an inflated file of the wrong size', async () => {
    const fw = write('a.fw', signed);
    const inflated = await inflateFwupResources(fw, unpacked);
    fs.appendFileSync(inflated.get('data/rootfs.img')!, 'x');
    expect(await refusal(() => applyFwupArchiveToFile(fw, image(), { task: 'upgrade', inflated }))).toMatch(/"data\/rootfs\.img" \(data at byte \d+\): inflates to 65537 bytes \(.*resource-0\), the central directory says 65536$/);
  });
});
