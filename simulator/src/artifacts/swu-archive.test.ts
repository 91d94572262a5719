import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abLayout, decodeBootHeader } from '@vfleet/core';
import { haveTools, run } from '@vfleet/core/test-support';
import { initWorkspace } from '../workspace/init.js';
import { ensureSwuSigner, swuSignerPaths, type SwuSigner } from '../workspace/swu-signer.js';
import { buildOsSwu, type OsSwuResult } from './swu-archive.js';
import { cpioChecksum, readCpioEntries, type CpioEntry } from './swu-cpio.js';

const MiB = 1024 * 1024;
const DISK = 16 * MiB;
const root = mkdtempSync(join(tmpdir(), 'vfleet-swu-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!haveTools('openssl'))('buildOsSwu', () => {
  const home = join(root, 'home');
  const out = join(root, 'os.swu');
  let signer: SwuSigner;
  let built: OsSwuResult;
  let bytes: Buffer;
  let entries: CpioEntry[];
  const entry = (name: string): Buffer => {
    const e = entries.find((x) => x.name === name);
    if (!e) throw new Error(`no ${name}`);
    return bytes.subarray(e.dataOffset, e.dataOffset + e.size);
  };
  beforeAll(async () => {
    initWorkspace({ home });
    signer = await ensureSwuSigner(home);
    built = await buildOsSwu({ name: 'edge-inference-os', version: '1.13.0', size: MiB + 3, health: 'ok', diskBytes: DISK, signer, out });
    bytes = readFileSync(out);
    entries = readCpioEntries((o, n) => bytes.subarray(o, o + n), bytes.length, out);
  }, 60_000);

  it('keeps one signer in the workspace, issued by the root CA for code signing only', async () => {
    const cert = readFileSync(signer.certPath, 'utf8');
    expect(await ensureSwuSigner(home)).toEqual(signer);
    expect(readFileSync(signer.certPath, 'utf8')).toBe(cert);
    expect(statSync(signer.keyPath).mode & 0o777).toBe(0o600);
    expect(run('openssl', ['verify', '-CAfile', swuSignerPaths(home).caPath, signer.certPath]).trim()).toBe(`${signer.certPath}: OK`);
    const text = run('openssl', ['x509', '-noout', '-ext', 'extendedKeyUsage,basicConstraints', '-in', signer.certPath]);
    expect(text).toMatch(/Code Signing/);
    expect(text).not.toMatch(/E-mail Protection|TLS Web Client/);
    expect(text).toMatch(/CA:FALSE/);
  });

  it('writes sw-description, its signature, then the image as cpio "crc" entries with valid checksums', () => {
    expect(entries.map((e) => [e.name, e.magic])).toEqual([
      ['sw-description', '070702'], ['sw-description.sig', '070702'], ['rootfs.img', '070702'],
    ]);
    for (const e of entries) expect(e.checksum).toBe(cpioChecksum(entry(e.name)));
    const image = entry('rootfs.img');
    expect(image.length).toBe(MiB + 3);
    expect(sha(image)).toBe(built.imageSha256);
    expect(decodeBootHeader(image.subarray(0, 4096), 'rootfs.img')).toMatchObject({ name: 'edge-inference-os', version: '1.13.0', health: 'ok', uuid: built.uuid });
    // cpio pads every header and data to 4 bytes; the trailer ends it
    expect(bytes.length % 4).toBe(0);
    expect(bytes.subarray(bytes.length - 124).toString('latin1')).toContain('TRAILER!!!');
  });

  it('describes both slots with the raw offsets of the layout and the env of the fwup archive', () => {
    const text = entry('sw-description').toString('utf8');
    expect(text).toBe(built.description);
    const { a, b } = abLayout({ sizeBytes: DISK }).slots;
    expect(text).toContain('hardware-compatibility = [ "1.0" ];');
    const slotB = text.slice(text.indexOf('\t\tb = {'));
    expect(slotB).toContain(`offset = "${b.offset}";`);
    expect(slotB).toContain('device = "/etc/peridiod/disk.img";');
    expect(slotB).toContain(`sha256 = "${built.imageSha256}";`);
    const env = [...slotB.matchAll(/\{ name = "([^"]+)"; value = "([^"]*)"; \}/g)].map((m) => [m[1], m[2]]);
    expect(env).toEqual([
      ['b.peridio_version', '1.13.0'], ['b.peridio_product', 'edge-inference-os'], ['b.peridio_uuid', built.uuid],
      ['b.peridio_platform', 'vfleet'], ['b.peridio_architecture', 'arm64-v8'], ['peridio_active', 'b'], ['upgrade_available', '1'], ['bootcount', '0'],
    ]);
    expect(text.slice(text.indexOf('\t\ta = {'), text.indexOf('\t\tb = {'))).toContain(`offset = "${a.offset}";`);
  });

  it('signs sw-description with CMS that openssl verifies against the workspace root CA, and not a tampered copy', () => {
    const dir = mkdtempSync(join(root, 'cms-'));
    writeFileSync(join(dir, 'd'), entry('sw-description'));
    writeFileSync(join(dir, 's'), entry('sw-description.sig'));
    const verify = (content: string) => run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 's'), '-content', content, '-CAfile', signer.caPath, '-purpose', 'any', '-out', '/dev/null']);
    expect(() => verify(join(dir, 'd'))).not.toThrow();
    writeFileSync(join(dir, 't'), entry('sw-description').toString('utf8').replace('1.13.0', '1.13.1'));
    expect(() => verify(join(dir, 't'))).toThrow(/verification failure|digest failure/i);
  });

  it.skipIf(!haveTools('swupdate'))('passes swupdate --check with the root CA and purpose codeSigning, and fails with the default purpose', () => {
    const check = (extra: string[]) => run('swupdate', ['-c', '-H', 'vfleet-evk:1.0', '-k', signer.caPath, ...extra, '-e', 'stable,b', '-i', out]);
    expect(() => check(['--cert-purpose', 'codeSigning'])).not.toThrow();
    expect(() => check([])).toThrow();
  });

  it('refuses an image larger than a slot', async () => {
    const slot = abLayout({ sizeBytes: DISK }).slots.a.size;
    await expect(buildOsSwu({ name: 'x', version: '1.0.0', size: slot + 1, health: 'ok', diskBytes: DISK, signer, out: join(root, 'big.swu') }))
      .rejects.toThrow(`--size ${slot + 1}: larger than a slot of a ${DISK}-byte disk`);
  });
});
