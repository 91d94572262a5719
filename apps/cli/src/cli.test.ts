import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findMimalloc, launcherThreadpoolSize, processAllocator } from '@vfleet/simulator';
import { runVfleet } from './test-support/run-vfleet.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-cli-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const vfleet = (...argv: string[]) => runVfleet(join(root, 'home'), argv);

describe('vfleet and the file system', () => {
  it("states Node's own file-system refusals (ERR_FS_*) in one line with the path, not as a crash", async () => {
    const home = join(root, 'odd-home');
    mkdirSync(join(home, 'run', 'supervisor.json'), { recursive: true });
    const r = await runVfleet(home, ['down']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^vfleet: .*EISDIR.*${join(home, 'run', 'supervisor.json')}$`));
  });
});

describe('vfleet init / devices', () => {
  it('initialises once and says so the second time', async () => {
    expect((await vfleet('init')).out).toMatch(/product edge-inference, created 19 file\(s\)/);
    expect((await vfleet('init')).out).toMatch(/is complete .*nothing to do/);
  });

  it('creates, lists and removes devices', async () => {
    const out = join(root, 'devices');
    const created = await vfleet('devices', 'create', '--count', '3', '--prefix', 'QA', '--tags', 'canary,lab', '--disk-size', '32M', '--out', out);
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/3 created, 0 replaced, 0 already there/);
    const list = await vfleet('devices', 'list', '--out', out, '--json');
    const rows = JSON.parse(list.out) as Array<{ id: string; tags: string[]; allocatedBytes: number }>;
    expect(rows.map((r) => r.id)).toEqual(['QA-0001', 'QA-0002', 'QA-0003']);
    expect(rows[0]?.tags).toEqual(['canary', 'lab']);
    expect(Math.max(...rows.map((r) => r.allocatedBytes))).toBeLessThanOrEqual(1024 * 1024);
    expect((await vfleet('devices', 'rm', 'QA-0002', '--out', out)).out).toBe(`removed 1 device(s) from ${out}`);
    expect(readdirSync(out).sort()).toEqual(['QA-0001', 'QA-0003']);
  });

  it('writes device_api and its CA when pointed at another backend', async () => {
    const out = join(root, 'api');
    const ca = join(root, 'home', 'pki', 'ca', 'root-certificate.pem');
    const r = await vfleet('devices', 'create', '--count', '1', '--device-api', '127.0.0.1:4443', '--device-api-ca', ca, '--disk-size', '0', '--out', out);
    expect(r.code).toBe(0);
    const json = JSON.parse((await import('node:fs')).readFileSync(join(out, 'EI-ML-0001', 'peridio.json'), 'utf8')) as { device_api: unknown };
    expect(json.device_api).toEqual({ url: '127.0.0.1:4443', certificate_path: '/etc/peridiod/device-api-ca.pem', verify: true });
    expect(existsSync(join(out, 'EI-ML-0001', 'device-api-ca.pem'))).toBe(true);
    expect(existsSync(join(out, 'EI-ML-0001', 'disk.img'))).toBe(false);
  });

  it.each([
    [['devices', 'create', '--count', 'ten'], /^vfleet: --count "ten": expected a whole number from 1 to 100000$/],
    [['devices', 'create', '--count', '1', '--env', 'nvram'], /^vfleet: --env "nvram": expected one of file, disk$/],
    [['devices', 'create', '--count', '1', '--disk-size', '12Q'], /--disk-size/],
    [['devices', 'create', '--count', '1', '--device-api', 'https://x'], /--device-api "https:\/\/x": expected host or host:port without a scheme/],
    [['devices', 'create'], /--count <n> or --evk is required/],
    [['devices', 'create', '--evk', '--count', '2'], /--evk makes the EVK six devices; drop --count/],
    [['devices', 'rm', '--out', '/nonexistent-vfleet'], /name device ids or use --all/],
    [['devices', 'create', '--count', '1', '--target', ''], /^vfleet: --target: target "" must match .* \(e\.g\. arm64-v8\)$/],
    [['devices', 'create', '--count', '1', '--target', 'arm 64'], /--target: target "arm 64" must match/],
    [['devices', 'create', '--count', '1', '--tags', 'canary,a\u0001b'], /^vfleet: --tags: tag "a\\u0001b" must be 1 to 128 printable characters without a comma$/],
  ])('rejects %j with one line and exit 2', async (argv, message) => {
    const r = await vfleet(...argv);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err.trim()).toMatch(message);
  });

  it('fails with exit 1 and names the file for a bad CA', async () => {
    const bad = join(root, 'bad-ca.pem');
    writeFileSync(bad, 'not a certificate');
    const r = await vfleet('devices', 'create', '--count', '1', '--device-api-ca', bad, '--out', join(root, 'bad'));
    expect(r.code).toBe(1);
    expect(r.err).toContain(bad);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('fails with exit 1 and one line naming the folder when --out cannot be made', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    const r = await vfleet('devices', 'create', '--count', '1', '--disk-size', '0', '--out', join(file, 'devices'));
    expect(r.code).toBe(1);
    expect(r.err.trim()).toMatch(new RegExp(`^vfleet: ${join(file, 'devices')}: cannot make the device folder: ENOTDIR`));
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('reports a refused system call in one line with exit 1, not as an internal error', async () => {
    // a device folder that is a file: the listing fails in the file system, not in vfleet
    const file = join(root, 'not-a-folder');
    writeFileSync(file, '');
    for (const argv of [['devices', 'list', '--out', file], ['devices', 'rm', '--all', '--out', file]]) {
      const r = await vfleet(...argv);
      expect(r.code).toBe(1);
      expect(r.err.trim()).toBe(`vfleet: ENOTDIR: not a directory, scandir '${file}'`);
    }
  });
});

describe('vfleet devices list --server', () => {
  it('lists what a running backend knows, with the workspace token', async () => {
    const { startBackend } = await import('@vfleet/simulator');
    const backend = await startBackend({ home: join(root, 'home'), port: 0, adminPort: 0, binaryPort: 0 });
    try {
      const product = backend.store.products.create({ name: 'edge-inference' });
      backend.store.devices.create({ product_uuid: product.uuid, identifier: 'EI-ML-0042', tags: ['canary'] });
      const r = await vfleet('devices', 'list', '--server', '--admin-url', backend.admin.url);
      expect(r.code).toBe(0);
      expect(r.out.split('\n')).toEqual(['ID\tTAGS\tORIGIN\tONLINE\tVERSION\tLAST SEEN', 'EI-ML-0042\tcanary\tadmin\tno\t-\t-']);
    } finally {
      await backend.close();
    }
    const down = await vfleet('devices', 'list', '--server', '--admin-url', 'http://127.0.0.1:9');
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/admin API http:\/\/127\.0\.0\.1:9 unreachable/);
  });
});

describe('vfleet fwup (built-in)', () => {
  const vectors = fileURLToPath(new URL('../../../../shared/vectors/fwup/', import.meta.url));
  it('lists, verifies and applies the fwup 1.16 A/B vector, and refuses an unsigned archive with a key', async () => {
    expect((await vfleet('fwup', 'list', '-i', join(vectors, 'ab-upgrade.fw'))).out.split('\n')).toEqual(['upgrade.a', 'upgrade.b', 'upgrade.unexpected']);
    const ok = await vfleet('fwup', 'verify', '-i', join(vectors, 'ab-upgrade-signed.fw'), '-p', join(vectors, 'fwup-key.pub'));
    expect(ok.code).toBe(0);
    const image = join(root, 'fwup.img');
    const { encodeUbootEnv } = await import('@vfleet/core');
    const buf = Buffer.alloc(16 * 1024 * 1024);
    encodeUbootEnv(new Map([['peridio_active', 'a']]), { size: 0x20000 }).copy(buf, 0x100000);
    writeFileSync(image, buf);
    const applied = await vfleet('fwup', 'apply', '-i', join(vectors, 'ab-upgrade-signed.fw'), '-d', image, '-t', 'upgrade', '-p', join(vectors, 'fwup-key.pub'));
    expect(applied.out).toMatch(/^fwup: upgrading slot b\n.*task upgrade\.b applied/);
    const bad = await vfleet('fwup', 'apply', '-i', join(vectors, 'ab-upgrade.fw'), '-d', image, '-t', 'upgrade', '-p', join(vectors, 'fwup-key.pub'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/Expecting signed firmware archive/);
  });
});

describe('the vfleet launcher (bin/vfleet)', () => {
  const launcher = fileURLToPath(new URL('../bin/vfleet', import.meta.url));
  const built = existsSync(fileURLToPath(new URL('../dist/main.js', import.meta.url)));
  /** Starts `vfleet backend` through the launcher, returns the allocator and thread-pool size its node process runs with, stops it. */
  const launched = async (env: NodeJS.ProcessEnv): Promise<{ allocator: string; threads: string | undefined }> => {
    const home = join(root, `launcher-${Object.keys(env).length}`);
    expect(spawnSync('sh', [launcher, '--home', home, 'init']).status).toBe(0);
    const child = spawn('sh', [launcher, '--home', home, 'backend', '--port', '0', '--admin-port', '0', '--binary-port', '0'], { env: { ...process.env, LD_PRELOAD: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('admin API')) resolve();
        });
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.once('exit', (code) => reject(new Error(`vfleet backend exited ${code}: ${out}`)));
      });
      // `exec`: the launcher's own pid is now node's
      expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')[0]).toBe('node');
      const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
      const threads = environ.find((e) => e.startsWith('UV_THREADPOOL_SIZE='))?.split('=')[1];
      return { allocator: processAllocator(child.pid), threads };
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  };

  it.skipIf(!built || findMimalloc() === undefined)('runs node on mimalloc when it is installed, and on glibc with VFLEET_MALLOC=system', async () => {
    expect((await launched({})).allocator).toBe('mimalloc');
    expect((await launched({ VFLEET_MALLOC: 'system' })).allocator).toBe('glibc');
  }, 30_000);

  it.skipIf(!built)('sizes libuv\'s thread pool to the cores (2 to 4) unless UV_THREADPOOL_SIZE is set', async () => {
    expect((await launched({ UV_THREADPOOL_SIZE: '' })).threads).toBe(String(launcherThreadpoolSize()));
    expect((await launched({ UV_THREADPOOL_SIZE: '7' })).threads).toBe('7');
    expect([1, 2, 3, 4, 64].map((cores) => launcherThreadpoolSize(cores))).toEqual([2, 2, 3, 4, 4]);
  }, 30_000);

  it.skipIf(!built)('devices create uses its worker threads under the launcher\'s node flags', () => {
    // 200 devices take a worker; a worker refused what the launcher gives node (ERR_WORKER_INVALID_EXEC_ARGV)
    const out = join(root, 'launcher-devices');
    const r = spawnSync('sh', [launcher, '--home', join(root, 'home'), 'devices', 'create', '--count', '200', '--disk-size', '0', '--out', out, '--json'], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/error|invalid/i);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ created: 200, failed: [] });
  }, 30_000);

  it.skipIf(!built)('exits with the command\'s code and its one-line usage error', () => {
    const r = spawnSync('sh', [launcher, '--home', join(root, 'home'), 'devices', 'create', '--count', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('vfleet: --count "0": expected a whole number from 1 to 100000\n');
  });
});
