import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { abLayout, customMetadataHash, readRange } from '@vfleet/core';
import { haveTools } from '@vfleet/core/test-support';
import { initWorkspace } from '../../../workspace/init.js';
import { workspacePaths } from '../../../workspace/home.js';
import { ensureSwuSigner, type SwuSigner } from '../../../workspace/swu-signer.js';
import { generateDevices } from '../../../devices/generate.js';
import { buildOsSwu, writeSwu, type OsSwuResult } from '../../../artifacts/swu-archive.js';
import { readSwu } from '../../../artifacts/swu-fit.js';
import { cmsSign } from '../../../artifacts/swu-sign.js';
import { deviceEnv } from '../../../test-support/device.js';
import { canRunAsDevice, runAsDevice } from '../../../test-support/as-device.js';
import { CacheStore } from '../cache/cache-store.js';
import { createDeviceSigner } from '../cache/device-signature.js';
import type { UpdateBinary } from '../model.js';
import { captureLog } from '../test-support/capture-log.js';
import { devicePaths } from '../test-support/device-paths.js';
import { deviceKeyPem, removeDir, tempDir, testConfig } from '../test-support/harness.js';
import type { InstallEnv } from './installer.js';
import { BUILTIN_INSTALLERS, resolveInstaller } from './resolve-installer.js';
import { hostSafeSwupdateArgs } from './swupdate-installer.js';

const MiB = 1024 * 1024;
const DISK = 32 * MiB;
const IMAGE = 2 * MiB + 512;
const layout = abLayout({ sizeBytes: DISK });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
describe('hostSafeSwupdateArgs', () => {
  it('outside a container, takes only extra_args that neither run commands, touch host files nor change trust', () => {
    expect(hostSafeSwupdateArgs(['-v', '-e', 'stable,b', '--bootloader=uboot', '-H', 'vfleet-evk:1.0', '--max-version', '3.0']))
      .toEqual(['-v', '-e', 'stable,b', '--bootloader', 'uboot', '-H', 'vfleet-evk:1.0', '--max-version', '3.0']);
    for (const [args, why] of [
      [['-P', 'touch /tmp/pwned'], '"-P" is not accepted'],
      [['--postupdate=reboot'], '"--postupdate=reboot" is not accepted'],
      [['-f', '/etc/swupdate.cfg'], '"-f" is not accepted'],
      [['-o', '/etc/passwd'], '"-o" is not accepted'],
      [['-u', '-t x -u h -i d'], '"-u" is not accepted'],
      [['-vk/etc/peridiod/x.pem'], '"-vk/etc/peridiod/x.pem" is not accepted'],
      [['-e'], '"-e" needs a value'],
      [['--verbose=1'], '"--verbose=1" takes no value'],
      [['-B', 'grub'], '"-B" names bootloader "grub", whose env is a host file; only "uboot" is accepted'],
      [['--bootloader=ebg'], 'names bootloader "ebg"'],
    ] as const) {
      expect(() => hostSafeSwupdateArgs(args)).toThrow(why);
    }
    // the trust anchor is the device's provisioned swupdate-ca.pem with purpose codeSigning; nothing the server sends changes it
    for (const args of [['-k', '/etc/peridiod/rogue-ca.pem'], ['--key=/etc/peridiod/rogue-ca.pem'], ['--ca-path', '/etc/peridiod'], ['--cert-purpose', 'emailProtection'], ['--cert-purpose=codeSigning'], ['--forced-signer-name', 'x'], ['-K', '/etc/peridiod/aes'], ['--key-aes', '/etc/peridiod/aes']]) {
      expect(() => hostSafeSwupdateArgs(args)).toThrow(new RegExp(`installer_opts\\.extra_args: ${JSON.stringify(args[0]).replace(/[/.]/g, '\\$&')} changes what verifies or decrypts the \\.swu, which is only /etc/peridiod/swupdate-ca\\.pem with purpose codeSigning for a device outside a container`));
    }
    expect(() => hostSafeSwupdateArgs(['-P', 'x'])).toThrow(/installer_opts\.extra_args: "-P" is not accepted for a device outside a container \(swupdate runs on the host there\)/);
  });
});

const real = haveTools('swupdate', 'openssl', 'unshare', 'fw_printenv', 'fw_setenv') && canRunAsDevice();

function job(extra: string[] = []) {
  const meta = { peridiod: { installer: 'swupdate', installer_opts: extra.length === 0 ? {} : { extra_args: extra } } };
  const uuid = randomUUID();
  const binary: UpdateBinary = {
    index: 0, prn: `prn:1:${randomUUID()}:binary:${uuid}`, uuid, name: null, version: null, hash: '0'.repeat(64), size: 1,
    url: 'http://h/x', target: null, customMetadata: meta, customMetadataHash: customMetadataHash(meta), signatures: [],
  };
  return resolveInstaller(binary, testConfig({}), BUILTIN_INSTALLERS);
}

describe.skipIf(!real)('swupdate installer with the real swupdate', () => {
  const root = tempDir('swupdate-installer');
  const home = join(root, 'home');
  let signer: SwuSigner;
  let good: OsSwuResult;
  let counter = 0;
  afterAll(() => removeDir(root));
  beforeAll(async () => {
    initWorkspace({ home });
    signer = await ensureSwuSigner(home);
    good = await buildOsSwu({ name: 'edge-inference-os', version: '1.13.0', size: IMAGE, health: 'ok', diskBytes: DISK, signer, out: join(root, 'good.swu') });
  }, 60_000);

  let dir: string;
  let env: InstallEnv & { log: ReturnType<typeof captureLog> };
  let cacheLog: ReturnType<typeof captureLog>;
  const disk = () => join(dir, 'disk.img');
  const snapshot = () => ({ env: deviceEnv(dir), a: sha(readRange(disk(), layout.slots.a.offset, layout.slots.a.size)), b: sha(readRange(disk(), layout.slots.b.offset, layout.slots.b.size)), data: sha(readRange(disk(), layout.slots.data.offset, layout.slots.data.size)) });
  // the installer gets a temporary copy of the binary (peridiod's path interface), deleted afterwards
  const copy = (swu: string) => {
    const file = join(dir, 'cache', `.tmp-${counter++}.swu`);
    copyFileSync(swu, file);
    return file;
  };
  beforeEach(async () => {
    const id = `SWU-${String(++counter).padStart(4, '0')}`;
    await generateDevices({ home, out: join(root, 'devices'), cohort: 'release', env: 'disk', diskBytes: DISK, force: false, specs: [{ id, cohort: 'release', tags: [], target: 'arm64-v8' }] });
    dir = join(root, 'devices', id);
    // what a vfleet A/B board carries for swupdate: the workspace root CA to verify with, and its hardware revision
    copyFileSync(signer.caPath, join(dir, 'swupdate-ca.pem'));
    mkdirSync(join(dir, 'root', 'etc'), { recursive: true });
    writeFileSync(join(dir, 'root', 'etc', 'hwrevision'), 'vfleet-evk 1.0\n');
    cacheLog = captureLog();
    const cache = new CacheStore({ root: join(dir, 'cache'), deviceDir: dir, encryption: true, signer: createDeviceSigner(deviceKeyPem()), log: cacheLog });
    await cache.init();
    env = { paths: devicePaths(dir), cache, config: testConfig({}), log: captureLog(), signal: new AbortController().signal, toolPath: process.env['PATH'] ?? '' };
  }, 30_000);

  it('installs a .swu built by vfleet into the inactive slot and sets the env as the fwup archive does', async () => {
    const before = snapshot();
    expect(before.env.get('peridio_active')).toBe('a');
    await job().path?.(copy(good.out), env);
    const after = snapshot();
    const vars = after.env;
    expect(Object.fromEntries(['peridio_active', 'b.peridio_version', 'b.peridio_product', 'b.peridio_uuid', 'b.peridio_platform', 'b.peridio_architecture', 'upgrade_available', 'bootcount'].map((k) => [k, vars.get(k)]))).toEqual({
      peridio_active: 'b', 'b.peridio_version': '1.13.0', 'b.peridio_product': 'edge-inference-os', 'b.peridio_uuid': good.uuid,
      'b.peridio_platform': 'vfleet', 'b.peridio_architecture': 'arm64-v8', upgrade_available: '1', bootcount: '0',
    });
    // the real tool agrees: fw_printenv on the device's own fw_env.config
    const printed = runAsDevice(dir, ['fw_printenv', '-c', '/etc/peridiod/fw_env.config', 'peridio_active', 'b.peridio_version']);
    expect(printed).toBe('peridio_active=b\nb.peridio_version=1.13.0\n');
    // only swupdate's own state marker besides: everything else in the env is as it was
    const changed = [...new Set([...before.env.keys(), ...vars.keys()])].filter((k) => before.env.get(k) !== vars.get(k)).sort();
    expect(changed).toEqual(['b.peridio_architecture', 'b.peridio_platform', 'b.peridio_product', 'b.peridio_uuid', 'b.peridio_version', 'peridio_active', 'upgrade_available', 'ustate'].sort());
    const image = readSwu(good.out);
    const entry = image.entries.find((e) => e.name === 'rootfs.img');
    expect(entry?.size).toBe(IMAGE);
    expect(sha(readRange(disk(), layout.slots.b.offset, IMAGE))).toBe(good.imageSha256);
    expect(after.a).toBe(before.a);
    expect(after.data).toBe(before.data);
    expect(env.log.messages('info')).toContain('[Installer swupdate] Finished (slot b)');
    // swupdate's temporary directory and namespace scratch went with it
    expect(readdirSync(join(dir, 'cache', '.tmp'))).toEqual([]);
  }, 60_000);

  it('from slot b installs into slot a', async () => {
    await job().path?.(copy(good.out), env);
    await job().path?.(copy(good.out), env);
    expect(deviceEnv(dir).get('peridio_active')).toBe('a');
    expect(deviceEnv(dir).get('a.peridio_version')).toBe('1.13.0');
    expect(sha(readRange(disk(), layout.slots.a.offset, IMAGE))).toBe(good.imageSha256);
  }, 60_000);

  const refused = async (swu: string, message: RegExp, extra: string[] = []) => {
    const before = snapshot();
    const error = await job(extra).path?.(copy(swu), env).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    const after = snapshot();
    expect(Object.fromEntries(after.env)).toEqual(Object.fromEntries(before.env));
    expect(after).toEqual(before);
    expect(env.log.messages('error').some((m) => m.startsWith('[Installer swupdate] Error'))).toBe(true);
  };

  it('refuses a .swu whose sw-description was changed after signing; env and disk unchanged', async () => {
    const { entries, description } = readSwu(good.out);
    const bytes = readFileSync(good.out);
    const body = (name: string) => {
      const e = entries.find((x) => x.name === name);
      if (!e) throw new Error(name);
      return bytes.subarray(e.dataOffset, e.dataOffset + e.size);
    };
    const tampered = Buffer.from(description.replaceAll('value = "1.13.0"', 'value = "6.6.6"'));
    const out = join(root, 'tampered.swu');
    await writeSwu(out, [
      { name: 'sw-description', size: tampered.length, data: () => [tampered] },
      { name: 'sw-description.sig', size: body('sw-description.sig').length, data: () => [body('sw-description.sig')] },
      { name: 'rootfs.img', size: IMAGE, data: () => [body('rootfs.img')] },
    ]);
    await refused(out, /swupdate exited with 1 \(slot b\): .*Signature verification failed/);
  }, 60_000);

  it('refuses a .swu whose image bytes were changed (hash in the signed sw-description); env and disk unchanged', async () => {
    const bytes = Buffer.from(readFileSync(good.out));
    const entry = readSwu(good.out).entries.find((e) => e.name === 'rootfs.img');
    if (!entry) throw new Error('no image');
    bytes[entry.dataOffset + 5000] = (bytes[entry.dataOffset + 5000] as number) ^ 0xff;
    const out = join(root, 'flipped.swu');
    writeFileSync(out, bytes);
    await refused(out, /swupdate exited with 1 \(slot b\): HASH mismatch/);
  }, 60_000);

  it('refuses a .swu for another hardware revision', async () => {
    const other = await buildOsSwu({ name: 'edge-inference-os', version: '1.13.0', size: IMAGE, health: 'ok', diskBytes: DISK, signer, hardwareCompatibility: ['2.0'], out: join(root, 'hw2.swu') });
    await refused(other.out, /swupdate exited with 1 \(slot b\): SW not compatible with hardware/);
  }, 60_000);

  it('refuses when the device states no hardware revision (the host\'s /etc never stands in)', async () => {
    rmSync(join(dir, 'root', 'etc', 'hwrevision'));
    await refused(good.out, /swupdate exited with 1 \(slot b\): .*(hwrevision|HW compatibility|not compatible)/i);
  }, 60_000);

  it('refuses, without waiting on it, an /etc/hwrevision the device made a FIFO', async () => {
    rmSync(join(dir, 'root', 'etc', 'hwrevision'));
    execFileSync('mkfifo', [join(dir, 'root', 'etc', 'hwrevision')]);
    await refused(good.out, /hwrevision: refusing to read it: not a regular file/);
  }, 60_000);

  it('refuses, on the host, a fw_env.config that puts the env outside the device directory or behind a link', async () => {
    const victim = join(root, 'host-victim');
    writeFileSync(victim, 'host data\n');
    symlinkSync(victim, join(dir, 'env-link'));
    const disk0 = sha(readFileSync(disk()));
    const cases: [string, RegExp, string[]][] = [
      ['/dev/sda 0x0 0x4000', /names "\/dev\/sda", which is not a file in \/etc\/peridiod; swupdate runs on the host/, []],
      ['/etc/peridiod/../../host 0x0 0x4000', /which is not a file in \/etc\/peridiod/, []],
      ['/etc/peridiod/env-link 0x0 0x4000', /refusing to follow a symbolic link in the device directory/, []],
      // with the slot given nothing of vfleet reads the env first: swupdate itself would open it through the link
      ['/etc/peridiod/env-link 0x0 0x4000', /refusing to follow a symbolic link in the device directory/, ['-e', 'stable,b']],
    ];
    for (const [line, message, extra] of cases) {
      writeFileSync(join(dir, 'fw_env.config'), `${line}\n`);
      const error = await job(extra).path?.(copy(good.out), env).then(() => undefined, (e: unknown) => e);
      expect(error, line).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(message);
    }
    expect(readFileSync(victim, 'utf8')).toBe('host data\n');
    expect(sha(readFileSync(disk()))).toBe(disk0);
  }, 60_000);

  it('takes the selection from extra_args when given, and checks that one', async () => {
    await job(['-e', 'stable,b']).path?.(copy(good.out), env);
    expect(deviceEnv(dir).get('peridio_active')).toBe('b');
    expect(env.log.messages('info').some((m) => m.startsWith('[Installer swupdate] swupdate -i ') && m.endsWith(' -e stable,b') && !m.includes('-e stable,b -e'))).toBe(true);
    await refused(good.out, /swupdate exited with 1: .*Found nothing to install/, ['--select=stable,c']);
  }, 60_000);

  it('refuses a .swu signed by a certificate the device does not trust', async () => {
    const stranger = join(root, 'stranger');
    initWorkspace({ home: stranger });
    const foreign = await buildOsSwu({ name: 'edge-inference-os', version: '1.13.0', size: IMAGE, health: 'ok', diskBytes: DISK, signer: await ensureSwuSigner(stranger), out: join(root, 'foreign.swu') });
    await refused(foreign.out, /swupdate exited with 1 \(slot b\): Authentication of all signatures failed/);
  }, 60_000);

  it('refuses, before swupdate runs, an image larger than the slot (a .swu made for a bigger disk)', async () => {
    const big = await buildOsSwu({ name: 'edge-inference-os', version: '1.13.0', size: layout.slots.b.size + MiB, health: 'ok', diskBytes: 64 * MiB, signer, out: join(root, 'big.swu') });
    await refused(big.out, /image "rootfs.img" → \/etc\/peridiod\/disk.img: \d+ bytes at offset \d+ do not fit rootfs-b .*refused before swupdate ran/);
  }, 60_000);

  it('refuses a .swu signed with a device certificate of the same workspace (code signing only)', async () => {
    const deviceSigner = { certPath: join(dir, 'device-certificate.pem'), keyPath: join(dir, 'device-private-key.pem'), chainPath: workspacePaths(home).intermediateCert('edge-inference', 'release') };
    const description = readSwu(good.out).description;
    const sig = await cmsSign(Buffer.from(description), deviceSigner);
    const bytes = readFileSync(good.out);
    const image = readSwu(good.out).entries.find((e) => e.name === 'rootfs.img');
    if (!image) throw new Error('no image');
    const out = join(root, 'device-signed.swu');
    await writeSwu(out, [
      { name: 'sw-description', size: Buffer.byteLength(description), data: () => [Buffer.from(description)] },
      { name: 'sw-description.sig', size: sig.length, data: () => [sig] },
      { name: 'rootfs.img', size: image.size, data: () => [bytes.subarray(image.dataOffset, image.dataOffset + image.size)] },
    ]);
    await refused(out, /swupdate exited with 1 \(slot b\): Authentication of all signatures failed/);
    // a device on the host keeps that trust: extra_args naming the device's chain and swupdate's default purpose
    // (no extendedKeyUsage needed) would let it in, so they are refused, naming the flag
    writeFileSync(join(dir, 'root-and-intermediate.pem'), readFileSync(signer.caPath, 'utf8') + readFileSync(deviceSigner.chainPath, 'utf8'));
    await refused(out, /"--key=\/etc\/peridiod\/root-and-intermediate.pem" changes what verifies or decrypts the \.swu, which is only \/etc\/peridiod\/swupdate-ca.pem with purpose codeSigning for a device outside a container/, ['--key=/etc/peridiod/root-and-intermediate.pem', '--cert-purpose', 'emailProtection']);
    await refused(out, /"--cert-purpose" changes what verifies/, ['--cert-purpose', 'emailProtection']);
  }, 60_000);

  it('refuses, on the host, extra_args that make a CA the server supplied the trust anchor', async () => {
    // the server's own CA, dropped into the device directory (by a `file` binary, say) and named with -k
    const rogue = join(root, 'rogue');
    initWorkspace({ home: rogue });
    const rogueSigner = await ensureSwuSigner(rogue);
    copyFileSync(rogueSigner.caPath, join(dir, 'rogue-ca.pem'));
    const signed = await buildOsSwu({ name: 'edge-inference-os', version: '6.6.6', size: IMAGE, health: 'ok', diskBytes: DISK, signer: rogueSigner, out: join(root, 'rogue.swu') });
    await refused(signed.out, /"-k" changes what verifies or decrypts the \.swu/, ['-k', '/etc/peridiod/rogue-ca.pem', '--cert-purpose', 'codeSigning']);
    await refused(signed.out, /"--ca-path" changes what verifies/, ['--ca-path', '/etc/peridiod/rogue-ca.pem']);
    expect(deviceEnv(dir).get('a.peridio_version')).not.toBe('6.6.6');
  }, 60_000);

  // what a .swu signed by the workspace signer must not do to the host when the device is mapped onto it
  const PAYLOAD = Buffer.from('written on the host\n');
  const SCRIPT = (escape: string) => Buffer.from(`#!/bin/sh\nid > ${escape}/script-ran-as\n`);
  const hostWrite = (escape: string) => `{ files: ( { filename = "payload.txt"; path = "${escape}/pwned.txt"; sha256 = "${sha(PAYLOAD)}"; } );
      scripts: ( { filename = "evil.sh"; type = "shellscript"; sha256 = "${sha(SCRIPT(escape))}"; } ); }`;
  it.each([
    ['in the selection', (w: string) => `stable = { a = ${w}; b = ${w}; };`, [], /software\.stable\.b\.files\[0\] \(path .*\/pwned\.txt\): files are written to paths of the host/],
    ['under the board of the device\'s /etc/hwrevision', (w: string) => `vfleet-evk = { stable = { b = ${w}; }; }; stable = { b = { bootenv: ( { name = "x"; value = "y"; } ); }; };`, [], /software\.vfleet-evk\.stable\.b\.files\[0\]/],
    ['in the last of two selections in extra_args (the one swupdate uses)', (w: string) => `stable = { a = { bootenv: ( { name = "x"; value = "y"; } ); }; b = ${w}; };`, ['-e', 'stable,a', '-e', 'stable,b'], /software\.stable\.b\.files\[0\]/],
  ] as const)('refuses, before swupdate runs, files and scripts for the host %s', async (_where, layoutOf, extra, message) => {
    const escape = join(root, `host-outside-${counter}`);
    mkdirSync(escape);
    const description = Buffer.from(`software = {\n  version = "1.0.0";\n  hardware-compatibility = [ "1.0" ];\n  ${layoutOf(hostWrite(escape))}\n};\n`);
    const sig = await cmsSign(description, signer);
    const out = join(root, `host-write-${counter}.swu`);
    await writeSwu(out, [
      { name: 'sw-description', size: description.length, data: () => [description] },
      { name: 'sw-description.sig', size: sig.length, data: () => [sig] },
      { name: 'payload.txt', size: PAYLOAD.length, data: () => [PAYLOAD] },
      { name: 'evil.sh', size: SCRIPT(escape).length, data: () => [SCRIPT(escape)] },
    ]);
    await refused(out, new RegExp(`${message.source}.*refused before swupdate ran`), [...extra]);
    expect([existsSync(join(escape, 'pwned.txt')), existsSync(join(escape, 'script-ran-as'))]).toEqual([false, false]);
  }, 60_000);

  it('on the host, makes swupdate\'s TMPDIR and namespace folder in the device\'s cache, never through a link the device put at cache/.tmp', async () => {
    const outside = join(root, `tmp-outside-${counter}`);
    mkdirSync(outside);
    rmSync(join(dir, 'cache', '.tmp'), { recursive: true });
    symlinkSync(outside, join(dir, 'cache', '.tmp'));
    const seen: string[] = [];
    const watcher = watch(outside, (_event, name) => seen.push(String(name)));
    try {
      await job().path?.(copy(good.out), env);
      await new Promise((r) => setTimeout(r, 100)); // inotify events arrive after the fact
    } finally {
      watcher.close();
    }
    expect(deviceEnv(dir).get('peridio_active')).toBe('b');
    expect({ seen, left: readdirSync(outside) }).toEqual({ seen: [], left: [] });
    expect(lstatSync(join(dir, 'cache', '.tmp')).isDirectory()).toBe(true);
    expect(readdirSync(join(dir, 'cache', '.tmp'))).toEqual([]);
    expect(cacheLog.messages('warn')).toEqual([`[Cache] .tmp: was a symbolic link (to ${outside}); replaced with a directory`]);
  }, 60_000);

  // the old installer handed these paths to swupdate (root) and to the namespace's cp, which waited on a FIFO for the hour's timeout
  const fifo = (rel: string) => () => {
    rmSync(join(dir, rel));
    execFileSync('mkfifo', [join(dir, rel)]);
  };
  it.each([
    ['the trust certificate is a FIFO', [], fifo('swupdate-ca.pem'), /swupdate-ca\.pem: refusing to read it: not a regular file/],
    ['/etc/hwrevision is a FIFO and -H names the board', ['-H', 'vfleet-evk:1.0'], fifo('root/etc/hwrevision'), /root\/etc\/hwrevision: refusing to read it: not a regular file/],
    ['/etc/hwrevision is a link to a host file and -H names the board', ['-H', 'vfleet-evk:1.0'], () => {
      writeFileSync(join(root, 'host-hwrevision'), 'vfleet-evk 1.0\n');
      rmSync(join(dir, 'root/etc/hwrevision'));
      symlinkSync(join(root, 'host-hwrevision'), join(dir, 'root/etc/hwrevision'));
    }, /root\/etc\/hwrevision: refusing to follow a symbolic link in the device directory/],
  ] as const)('refuses on the host, at once, when %s', async (_what, extra, plant, message) => {
    plant();
    const before = snapshot();
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(new Error('still waiting after 10 s')), 10_000);
    const error = await job([...extra]).path?.(copy(good.out), { ...env, signal: stop.signal }).then(() => undefined, (e: unknown) => e);
    clearTimeout(timer);
    expect(String(error)).toMatch(message);
    expect(snapshot()).toEqual(before);
  }, 60_000);

  it('names what is missing: the trust certificate, an unknown active slot', async () => {
    rmSync(join(dir, 'swupdate-ca.pem'));
    await expect(job().path?.(copy(good.out), env)).rejects.toThrow('swupdate installer: no certificate to verify the .swu with at /etc/peridiod/swupdate-ca.pem');
    copyFileSync(signer.caPath, join(dir, 'swupdate-ca.pem'));
    runAsDevice(dir, ['fw_setenv', '-c', '/etc/peridiod/fw_env.config', 'peridio_active', 'c']);
    await expect(job().path?.(copy(good.out), env)).rejects.toThrow('swupdate installer: peridio_active is "c" in the env of /etc/peridiod/fw_env.config, neither a nor b');
  }, 60_000);
});
