import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { customMetadataHash, decodeUbootEnv, encodeUbootEnv } from '@vfleet/core';
import { CacheStore } from '../cache/cache-store.js';
import { createDeviceSigner } from '../cache/device-signature.js';
import type { UpdateBinary } from '../model.js';
import { captureLog } from '../test-support/capture-log.js';
import { devicePaths } from '../test-support/device-paths.js';
import { deviceKeyPem, removeDir, tempDir, testConfig } from '../test-support/harness.js';
import type { InstallEnv } from './installer.js';
import { BUILTIN_INSTALLERS, resolveInstaller } from './resolve-installer.js';

function binary(meta: Record<string, unknown>): UpdateBinary {
  const uuid = randomUUID();
  return {
    index: 0, prn: `prn:1:${randomUUID()}:binary:${uuid}`, uuid, name: null, version: null, hash: '0'.repeat(64), size: 3,
    url: 'http://h/x', target: null, customMetadata: meta, customMetadataHash: customMetadataHash(meta), signatures: [],
  };
}
const job = (installer: string, opts: Record<string, unknown> = {}) => {
  const b = binary({ peridiod: { installer, installer_opts: opts } });
  return { b, job: resolveInstaller(b, testConfig({}), BUILTIN_INSTALLERS) };
};
async function* bytes(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}
async function* failing(): AsyncGenerator<Buffer> {
  yield Buffer.from('partial');
  throw new Error('checksum_mismatch: test');
}

describe('installers', () => {
  let dir: string;
  let env: InstallEnv;
  beforeEach(async () => {
    dir = tempDir('installers');
    const cache = new CacheStore({ root: join(dir, 'cache'), encryption: true, signer: createDeviceSigner(deviceKeyPem()), log: captureLog() });
    await cache.init();
    env = { paths: devicePaths(dir), cache, config: testConfig({}), log: captureLog(), signal: new AbortController().signal, toolPath: '' };
  });
  afterEach(() => removeDir(dir));

  it.each([
    [{ peridiod: {} }, 'custom_metadata.peridiod.installer: expected an installer name, found nothing'],
    [{}, 'custom_metadata.peridiod: missing, so no installer is named'],
    [{ peridiod: { installer: 'avocado-os' } }, 'custom_metadata.peridiod.installer: unknown installer "avocado-os" (known: file, cache, deb, rpm, opkg, swupdate, fwup)'],
    [{ peridiod: { installer: 'file', installer_opts: { path: '/a//b', name: 'x' } } }, 'installer_opts.path: "/a//b" is not a normalised path'],
    [{ peridiod: { installer: 'file', installer_opts: { path: '/a/./b', name: 'x' } } }, 'installer_opts.path: "/a/./b" is not a normalised path'],
    [{ peridiod: { installer: 'file', installer_opts: { path: '/a', name: 'x/y' } } }, 'installer_opts.name: "x/y" is not a plain file name'],
    [{ peridiod: { installer: 'file', installer_opts: { path: '/a', name: '.' } } }, 'installer_opts.name: "." is not a plain file name'],
    [{ peridiod: { installer: 'fwup', installer_opts: { env: { A: 1 } } } }, 'installer_opts.env: expected an object of strings, found {"A":1}'],
    [{ peridiod: { installer: 'deb', installer_opts: { extra_args: '--force' } } }, 'installer_opts.extra_args: expected an array of strings, found "--force"'],
  ])('refuses %j', (meta, message) => {
    expect(() => resolveInstaller(binary(meta), testConfig({}), BUILTIN_INSTALLERS)).toThrow(message);
  });

  it('file: streams into <path>/<uuid>, then <path>/<name> becomes a relative symlink to it', async () => {
    const { b, job: file } = job('file', { path: '/opt/x/', name: 'app.bin' });
    expect([file.model, file.stream !== undefined]).toEqual(['parallel', true]);
    await file.stream?.(bytes('ab', 'c'), env);
    const host = join(dir, 'root/opt/x');
    expect(readlinkSync(join(host, 'app.bin'))).toBe(b.uuid);
    expect(readFileSync(join(host, 'app.bin'), 'utf8')).toBe('abc');
    expect(readdirSync(host).sort()).toEqual(['app.bin', b.uuid].sort());
  });

  it('file: a source that fails verification leaves the previous link and no partial file', async () => {
    const { job: first } = job('file', { path: '/opt/x', name: 'app.bin' });
    await first.stream?.(bytes('old'), env);
    const { job: second } = job('file', { path: '/opt/x', name: 'app.bin' });
    await expect(second.stream?.(failing(), env)).rejects.toThrow('checksum_mismatch');
    const host = join(dir, 'root/opt/x');
    expect(readFileSync(join(host, 'app.bin'), 'utf8')).toBe('old');
    expect(readdirSync(host)).toHaveLength(2);
  });

  it('file: path mode copies the verified file in place', async () => {
    const { b, job: file } = job('file', { path: '/srv', name: 'p.bin' });
    writeFileSync(join(dir, 'src'), 'from-path');
    await file.path?.(join(dir, 'src'), env);
    expect(readlinkSync(join(dir, 'root/srv/p.bin'))).toBe(b.uuid);
    expect(readFileSync(join(dir, 'root/srv/p.bin'), 'utf8')).toBe('from-path');
  });

  describe('file: on a mapped device, links planted in the device directory are not followed', () => {
    let outside: string;
    beforeEach(() => {
      outside = tempDir('installers-host');
    });
    afterEach(() => removeDir(outside));

    it.each([['root/opt/app'], ['root/opt'], ['root']])('refuses when %s is a link out of the device directory, writing nothing there', async (planted) => {
      mkdirSync(join(dir, planted, '..'), { recursive: true });
      symlinkSync(outside, join(dir, planted));
      const { job: file } = job('file', { path: '/opt/app', name: 'app.bin' });
      await expect(file.stream?.(bytes('payload'), env)).rejects.toThrow(
        `file installer: installer_opts.path "/opt/app": ${join(dir, planted)} is a symbolic link (to ${outside}), which a mapped device may not follow; refusing to write through it`,
      );
      expect(readdirSync(outside)).toEqual([]);
    });

    it('refuses a link that stays inside the device directory too (its target would resolve on the host)', async () => {
      mkdirSync(join(dir, 'root/opt/real'), { recursive: true });
      symlinkSync('real', join(dir, 'root/opt/app'));
      const { job: file } = job('file', { path: '/opt/app', name: 'app.bin' });
      await expect(file.stream?.(bytes('payload'), env)).rejects.toThrow(`${join(dir, 'root/opt/app')} is a symbolic link (to real)`);
      expect(readdirSync(join(dir, 'root/opt/real'))).toEqual([]);
    });

    it('neither opens nor truncates a file linked at the old staging names, and replaces links at <uuid> and <name>', async () => {
      const host = join(dir, 'root/srv');
      mkdirSync(host, { recursive: true });
      const victims = ['partial', 'link', 'uuid', 'name'].map((v) => join(outside, v));
      for (const v of victims) writeFileSync(v, 'HOST FILE\n');
      const { b, job: file } = job('file', { path: '/srv', name: 'x.bin' });
      symlinkSync(victims[0] as string, join(host, `.${b.uuid}.partial`));
      symlinkSync(victims[1] as string, join(host, `.${b.uuid}.link`));
      symlinkSync(victims[2] as string, join(host, b.uuid));
      symlinkSync(victims[3] as string, join(host, 'x.bin'));
      await file.stream?.(bytes('payload'), env);
      expect(victims.map((v) => readFileSync(v, 'utf8'))).toEqual(Array(4).fill('HOST FILE\n'));
      expect(lstatSync(join(host, b.uuid)).isFile()).toBe(true);
      expect(readlinkSync(join(host, 'x.bin'))).toBe(b.uuid);
      expect(readFileSync(join(host, 'x.bin'), 'utf8')).toBe('payload');
      expect(readdirSync(host).sort()).toEqual([b.uuid, 'x.bin'].sort());
    });
  });

  describe('fwup: on a mapped device, links planted in the device directory are not followed', () => {
    let outside: string;
    let bin: string;
    let cacheLog: ReturnType<typeof captureLog>;
    let mapped: InstallEnv;
    beforeEach(async () => {
      outside = tempDir('installers-host');
      // a fake fwup that writes its -d image as the real one would
      bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'fwup'), `#!/bin/sh\necho "$3" > ${join(dir, 'archive-path')}\nprintf applied > "$5"\n`, { mode: 0o755 });
      cacheLog = captureLog();
      const cache = new CacheStore({ root: join(dir, 'cache'), deviceDir: dir, encryption: true, signer: createDeviceSigner(deviceKeyPem()), log: cacheLog });
      await cache.init();
      mapped = { ...env, cache, toolPath: bin };
    });
    afterEach(() => removeDir(outside));

    it('stages the archive in the device\'s own cache/.tmp, never through a link the device put there', async () => {
      mkdirSync(join(dir, 'root/data'), { recursive: true });
      writeFileSync(join(dir, 'root/data/disk.img'), '');
      rmSync(join(dir, 'cache/.tmp'), { recursive: true });
      symlinkSync(outside, join(dir, 'cache/.tmp'));
      const seen: string[] = [];
      const watcher = watch(outside, (_event, name) => seen.push(String(name)));
      const { job: fwup } = job('fwup', { devpath: '/data/disk.img' });
      try {
        await fwup.stream?.(bytes('fw-archive'), mapped);
        await new Promise((r) => setTimeout(r, 100)); // inotify events arrive after the fact
      } finally {
        watcher.close();
      }
      expect({ seen, left: readdirSync(outside) }).toEqual({ seen: [], left: [] });
      expect(readFileSync(join(dir, 'archive-path'), 'utf8').trim()).toMatch(new RegExp(`^${join(dir, 'cache/.tmp/')}[0-9a-f]{16}$`));
      expect(lstatSync(join(dir, 'cache/.tmp')).isDirectory()).toBe(true);
      expect(readFileSync(join(dir, 'root/data/disk.img'), 'utf8')).toBe('applied');
      expect(cacheLog.messages('warn')).toEqual([`[Cache] .tmp: was a symbolic link (to ${outside}); replaced with a directory`]);
    });

    it.each([['root/data'], ['root/data/disk.img']])('refuses a devpath whose %s is a link to a host file or folder, writing nothing', async (planted) => {
      writeFileSync(join(outside, 'disk.img'), 'HOST IMAGE');
      mkdirSync(join(dir, planted, '..'), { recursive: true });
      symlinkSync(planted.endsWith('.img') ? join(outside, 'disk.img') : outside, join(dir, planted));
      const { job: fwup } = job('fwup', { devpath: '/data/disk.img' });
      await expect(fwup.stream?.(bytes('fw-archive'), mapped)).rejects.toThrow(
        `fwup devpath /data/disk.img: refused, reached through a symbolic link in the device directory, which is not followed for a device outside a container (${join(dir, 'root/data/disk.img')})`,
      );
      expect(readFileSync(join(outside, 'disk.img'), 'utf8')).toBe('HOST IMAGE');
      expect(existsSync(join(dir, 'archive-path'))).toBe(false);
    });
  });

  it('file: removes the staging files a killed install of the same binary left, and nothing else', async () => {
    const host = join(dir, 'root/opt/x');
    mkdirSync(host, { recursive: true });
    const { b, job: file } = job('file', { path: '/opt/x', name: 'app.bin' });
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep');
    writeFileSync(join(host, `.${b.uuid}.0123456789abcdef.partial`), 'half');
    symlinkSync(victim, join(host, `.${b.uuid}.0123456789abcdef.link`));
    writeFileSync(join(host, '.other.partial'), 'not ours');
    await file.stream?.(bytes('abc'), env);
    expect(readdirSync(host).sort()).toEqual(['.other.partial', 'app.bin', b.uuid].sort());
    expect(readFileSync(victim, 'utf8')).toBe('keep');
  });

  it('file: a container device (paths as they are) still follows its own links', async () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    symlinkSync(real, join(dir, 'app'));
    const { b, job: file } = job('file', { path: join(dir, 'app'), name: 'a.bin' });
    await file.stream?.(bytes('in-container'), { ...env, paths: { map: (p) => p } });
    expect(readFileSync(join(real, 'a.bin'), 'utf8')).toBe('in-container');
    expect(readdirSync(real).sort()).toEqual([b.uuid, 'a.bin'].sort());
  });

  it('cache: stores the binary encrypted, signed and stamped cached', async () => {
    const { b, job: cache } = job('cache');
    await cache.stream?.(bytes('cached!'), env);
    const key = `binary/${b.prn}:${b.customMetadataHash}`;
    expect(readFileSync(join(dir, 'cache', key, 'binary')).subarray(0, 4).toString()).toBe('PDC1');
    expect(await env.cache.exists(`${key}/.stamp_cached`)).toBe(true);
    const out: Buffer[] = [];
    for await (const c of env.cache.readStream(`${key}/binary`)) out.push(c);
    expect(Buffer.concat(out).toString()).toBe('cached!');
  });

  // a device whose / is its own (a container or namespace device): package tools install into it
  const ownRootEnv = (): InstallEnv => ({ ...env, paths: { map: (p) => p } });

  it.each([['deb', 'apt'], ['rpm', 'dnf'], ['opkg', 'opkg'], ['swupdate', 'swupdate']])('%s without %s on PATH fails naming the tool', async (installer, tool) => {
    const { job: pkg } = job(installer);
    expect([pkg.model, pkg.stream, pkg.path !== undefined]).toEqual(['sequential', undefined, true]);
    writeFileSync(join(dir, 'pkg'), 'x');
    await expect(pkg.path?.(join(dir, 'pkg'), installer === 'swupdate' ? env : ownRootEnv())).rejects.toThrow(`${installer} installer needs "${tool}", which is not on PATH (empty)`);
  });

  it.each([['deb', 'apt'], ['rpm', 'dnf'], ['opkg', 'opkg']])('%s refuses on a device mapped onto the host, before running %s', async (installer, tool) => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, tool), `#!/bin/sh\ntouch ${join(dir, 'ran')}\n`);
    chmodSync(join(bin, tool), 0o755);
    writeFileSync(join(dir, 'pkg'), 'x');
    const { job: pkg } = job(installer);
    await expect(pkg.path?.(join(dir, 'pkg'), { ...env, toolPath: bin })).rejects.toThrow(
      `${installer} installer: ${tool} installs into the system's /, and this device's / is ${devicePaths(dir).map('/')} on the host, so the package would land on the host; run the device in a container (--runtime docker) or as a namespace device`,
    );
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('deb runs `apt install -y ./<file>.deb [extra]` in the file\'s directory through the real PATH lookup', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'apt'), `#!/bin/sh\necho "$PWD $*" > ${join(dir, 'apt.log')}\n[ -e "$3" ] || exit 9\n`);
    chmodSync(join(bin, 'apt'), 0o755);
    mkdirSync(join(dir, 'pkgs'));
    writeFileSync(join(dir, 'pkgs/pkg'), 'x');
    const { job: deb } = job('deb', { extra_args: ['--no-install-recommends'] });
    await deb.path?.(join(dir, 'pkgs/pkg'), { ...ownRootEnv(), toolPath: bin });
    expect(readFileSync(join(dir, 'apt.log'), 'utf8')).toBe(`${join(dir, 'pkgs')} install -y ./pkg.deb --no-install-recommends\n`);
    expect(existsSync(join(dir, 'pkgs/pkg.deb'))).toBe(false);
  });

  it('a package tool that fails reports its exit code and output', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'dnf'), '#!/bin/sh\necho "no such package" >&2\nexit 3\n');
    chmodSync(join(bin, 'dnf'), 0o755);
    writeFileSync(join(dir, 'p.rpm'), 'x');
    const { job: rpm } = job('rpm');
    await expect(rpm.path?.(join(dir, 'p.rpm'), { ...ownRootEnv(), toolPath: bin })).rejects.toThrow(`dnf install -y ${join(dir, 'p.rpm')} exited with 3: no such package`);
  });

  it('fwup without fwup on PATH applies with the built-in applier: A/B vector from fwup 1.16, signed', async () => {
    const vectors = new URL('../../../../../../shared/vectors/fwup/', import.meta.url);
    const read = (name: string) => readFileSync(new URL(name, vectors));
    const envText = (name: string) => new Map(read(name).toString('utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));
    mkdirSync(join(dir, 'root/data'), { recursive: true });
    const image = Buffer.alloc(16 * 1024 * 1024);
    encodeUbootEnv(envText('env-before.txt'), { size: 0x20000 }).copy(image, 0x100000);
    writeFileSync(join(dir, 'root/data/disk.img'), image);
    const config = testConfig({ fwup: { public_keys: [read('fwup-key.pub').toString('utf8').trim()] } });
    const fwup = resolveInstaller(binary({ peridiod: { installer: 'fwup', installer_opts: { devpath: '/data/disk.img' } } }), config, BUILTIN_INSTALLERS);
    async function* archive(): AsyncGenerator<Buffer> {
      yield read('ab-upgrade-signed.fw');
    }
    await fwup.stream?.(archive(), env);
    const after = readFileSync(join(dir, 'root/data/disk.img'));
    const vars = decodeUbootEnv(after.subarray(0x100000, 0x120000), { source: 'disk.img env' }).vars;
    expect(new Map([...vars].sort())).toEqual(new Map([...envText('env-after.txt')].sort()));
    expect(after.subarray(10485760, 10485760 + 65536).equals(read('rootfs.img'))).toBe(true);
    expect((env.log as ReturnType<typeof captureLog>).messages().filter((m) => m.includes('[Installer fwup]'))).toEqual(['[Installer fwup] upgrading slot b', '[Installer fwup] Finished']);
    // an unsigned archive is refused before one byte is written
    async function* unsigned(): AsyncGenerator<Buffer> {
      yield read('ab-upgrade.fw');
    }
    await expect(fwup.stream?.(unsigned(), env)).rejects.toThrow(/Expecting signed firmware archive/);
    expect(readFileSync(join(dir, 'root/data/disk.img')).equals(after)).toBe(true);
    // deflated resources are inflated into files first, within twice the image's size
    writeFileSync(join(dir, 'root/data/small.img'), Buffer.alloc(32000));
    const small = resolveInstaller(binary({ peridiod: { installer: 'fwup', installer_opts: { devpath: '/data/small.img' } } }), config, BUILTIN_INSTALLERS);
    await expect(small.stream?.(archive(), env)).rejects.toThrow("fwup archive: image too small: the archive's deflated resources come to 65536 bytes, more than the 64000 allowed for this image");
    // the staged archive and the folder its deflated rootfs was inflated into are gone either way
    expect(readdirSync(join(dir, 'cache', '.tmp'))).toEqual([]);
  });

  it('fwup applies the verified archive to an existing image file through the real PATH lookup, and refuses other devpaths', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'fwup'), `#!/bin/sh\necho "$* $PERIDIO_EXECUTE" > ${join(dir, 'fwup.log')}\ncat "$3" > ${join(dir, 'applied')}\n`);
    chmodSync(join(bin, 'fwup'), 0o755);
    mkdirSync(join(dir, 'root/data'), { recursive: true });
    writeFileSync(join(dir, 'root/data/disk.img'), '');
    const { job: fwup } = job('fwup', { devpath: '/data/disk.img', task: 'upgrade.b', env: { PERIDIO_EXECUTE: 'touch' } });
    await fwup.stream?.(bytes('fw-archive'), { ...env, toolPath: bin });
    expect(readFileSync(join(dir, 'fwup.log'), 'utf8')).toMatch(new RegExp(`^-a -i \\S+/cache/\\.tmp/[0-9a-f]+ -d ${join(dir, 'root/data/disk.img')} -t upgrade\\.b --no-unmount touch\\n$`));
    expect(readFileSync(join(dir, 'applied'), 'utf8')).toBe('fw-archive');
    expect(readdirSync(join(dir, 'cache/.tmp'))).toEqual([]);
    const { job: raw } = job('fwup', { devpath: '/dev/mmcblk0' });
    await expect(raw.stream?.(bytes('x'), { ...env, toolPath: bin })).rejects.toThrow('fwup devpath /dev/mmcblk0: refused, not an existing regular file');
    expect(() => job('fwup', { devpath: '/dev/../etc/passwd' })).toThrow('installer_opts.devpath: "/dev/../etc/passwd" is not a normalised path');
  });
});
