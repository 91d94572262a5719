// The worker-thread path of generateDevices runs from built output only (the worker is a .js file
// beside generate.js), so this test drives dist/ when it exists, against the in-thread path.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate, readPartitionTable } from '@vfleet/core';
import { haveTools, run } from '@vfleet/core/test-support';
import { loadProduct } from '../product/product.js';
import { workspacePaths } from '../workspace/home.js';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from './generate.js';
import { deviceIds, evkSpecs, type DeviceSpec } from './spec.js';

const MiB = 1024 * 1024;
const distGenerate = new URL('../../dist/devices/generate.js', import.meta.url);
/** The simulator's built entry point, for scripts a test runs in a node of its own. */
const distIndex = new URL('../../dist/index.js', import.meta.url);
const built = existsSync(fileURLToPath(new URL('../../dist/devices/generate-worker.js', import.meta.url)));
let root: string;
let home: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-genw-'));
  home = join(root, 'home');
  initWorkspace({ home });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const specs = (): DeviceSpec[] => evkSpecs(loadProduct());
const files = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

describe.skipIf(!built)('generateDevices with worker threads (built output)', () => {
  it('writes the same devices and failures as the in-thread path', async () => {
    const { generateDevices: generateBuilt } = (await import(distGenerate.href)) as { generateDevices: typeof generateDevices };
    const opts = { home, cohort: 'release', env: 'disk' as const, diskBytes: 32 * MiB, force: true };
    // something vfleet did not make stands where one device must go: both paths must refuse it
    for (const out of ['workers', 'inline']) {
      mkdirSync(join(root, out));
      writeFileSync(join(root, out, 'EI-ML-0004'), 'not a device');
    }
    const threaded = await generateBuilt({ ...opts, out: join(root, 'workers'), specs: specs(), workers: 2 });
    const inline = await generateDevices({ ...opts, out: join(root, 'inline'), specs: specs(), workers: 1 });
    expect(threaded.created).toEqual(['EI-ML-0001', 'EI-ML-0002', 'EI-ML-0003', 'EI-ML-0005', 'EI-ML-0006']);
    expect(threaded.created).toEqual(inline.created);
    expect(threaded.failed.map((f) => f.error.replace('/workers/', '/inline/'))).toEqual(inline.failed.map((f) => f.error));
    // one claim counter: no device is written (or refused) twice
    expect(threaded.skipped).toEqual([]);
    expect(threaded.failed).toHaveLength(1);
    expect(threaded.failed[0]?.error).toBe(`${join(root, 'workers', 'EI-ML-0004')} exists and is not a vfleet device directory; refusing to replace it`);
    expect(readdirSync(join(root, 'workers')).filter((n) => n.startsWith('.'))).toEqual([]);

    const p = workspacePaths(home);
    const guids = new Set<string>();
    for (const id of threaded.created) {
      const a = join(root, 'workers', id);
      const b = join(root, 'inline', id);
      expect(files(a)).toEqual(files(b));
      for (const f of ['peridio.json', 'fw_env.config', 'entrypoint.sh', 'swupdate-ca.pem']) {
        expect(readFileSync(join(a, f), 'utf8')).toBe(readFileSync(join(b, f), 'utf8'));
      }
      const meta = (dir: string) => ({ ...(JSON.parse(readFileSync(join(dir, 'vfleet.json'), 'utf8')) as object), createdAt: '' });
      expect(meta(a)).toEqual(meta(b));
      const cert = parseCertificate(readFileSync(join(a, 'device-certificate.pem'), 'utf8'), id);
      expect(cert.commonName).toBe(id);
      expect(cert.issuer).toBe('CN=Intermediate CA edge-inference release');
      if (haveTools('openssl')) {
        const pem = join(a, 'device-certificate.pem');
        expect(run('openssl', ['verify', '-CAfile', p.rootCert, '-untrusted', p.intermediateCert('edge-inference', 'release'), pem]).trim()).toBe(`${pem}: OK`);
      }
      const table = readPartitionTable(join(a, 'disk.img')).table;
      expect(table.partitions.map((x) => x.name)).toEqual(['rootfs-a', 'rootfs-b', 'data']);
      for (const g of [table.diskGuid, ...table.partitions.map((x) => x.guid)]) guids.add(g);
      // the redundant env pair and slot a's boot header are at the same bytes as in-thread
      const disk = (dir: string) => readFileSync(join(dir, 'disk.img')).subarray(1 * MiB, 5 * MiB);
      expect(disk(a).equals(disk(b))).toBe(true);
    }
    expect(guids.size).toBe(5 * 4);
  });
});

describe.skipIf(!built)('workers started before the plan (built output)', () => {
  it('are ended when the plan fails, so the process is not held open', () => {
    // 300 devices take a worker, started before the plan; a cohort the product lacks fails the plan
    const script = `
      const { generateDevices, deviceIds } = await import(${JSON.stringify(distIndex.href)});
      const specs = deviceIds('W', 1, 300).map((id) => ({ id, cohort: 'nope', tags: [], target: 'arm64-v8' }));
      try {
        await generateDevices({ home: ${JSON.stringify(home)}, out: ${JSON.stringify(join(root, 'no-plan'))}, cohort: 'nope', env: 'file', diskBytes: 0, force: false, specs });
      } catch (e) {
        console.log(e.message);
      }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('--cohort nope: product edge-inference has cohorts release, release-debug, daily-release, daily-debug');
    expect(readdirSync(join(root, 'no-plan'))).toEqual([]);
  });
});

describe.skipIf(!built)('a generation called from node -e (built output)', () => {
  it('keeps its workers: they start from a string, which --input-type allows (a worker refuses it for a file)', () => {
    const out = join(root, 'from-eval');
    const script = `
      const { generateDevices, deviceIds } = await import(${JSON.stringify(distIndex.href)});
      const specs = deviceIds('E', 1, 300).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
      const r = await generateDevices({ home: ${JSON.stringify(home)}, out: ${JSON.stringify(out)}, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs, workers: 2 });
      console.log(r.created.length, r.failed.length);`;
    for (const flag of [['--input-type=module'], ['--input-type', 'module']]) {
      rmSync(out, { recursive: true, force: true });
      const r = spawnSync(process.execPath, [...flag, '-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('300 0');
    }
  });
});

describe.skipIf(!built)('the worker thread\'s module graph (built output)', () => {
  it('loads only the slim core entry points, not the whole of @vfleet/core', () => {
    // every worker pays for what write-device.js imports before it writes a device: the whole of
    // @vfleet/core (fwup, boot, X.509 parser) measured ~130 ms of start-up against ~70 ms slim
    const hook = join(root, 'list-modules.mjs');
    writeFileSync(hook, "export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith('file:')) process.stderr.write(r.url + '\\n'); return r; }\n");
    const register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(pathToFileURL(hook).href)})`;
    const writer = new URL('../../dist/devices/write-device.js', import.meta.url).href;
    const r = spawnSync(process.execPath, ['--import', register, '--input-type=module', '-e', `await import(${JSON.stringify(writer)})`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const loaded = r.stderr.split('\n').filter((l) => l.startsWith('file:')).map((u) => u.replace(/^.*\/(core|simulator)\/dist\//, '$1/'));
    expect(loaded).toContain('simulator/devices/write-device.js');
    expect(loaded).toContain('core/pki/identity-template.js');
    expect(loaded.filter((m) => m === 'core/index.js' || /^core\/(fwup|boot|agent-config|state)\//.test(m) || m.includes('peculiar'))).toEqual([]);
  });
});

const ext = (dir: string): boolean => spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim() === 'ext2/ext3';

describe('generateDevices on ext4', () => {
  it.skipIf(!haveTools('lsattr', 'chattr') || !ext(tmpdir()))('marks the output of a fleet-sized batch as a top directory so ext4 spreads the devices', async () => {
    const out = join(root, 'spread');
    const small = join(root, 'small');
    const mk = (prefix: string, n: number) => deviceIds(prefix, 1, n).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
    const r = await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: mk('S', 100), workers: 1 });
    expect(r.created).toHaveLength(100);
    await generateDevices({ home, out: small, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: mk('s', 2), workers: 1 });
    const attrs = (dir: string) => run('lsattr', ['-d', dir]).split(' ')[0] ?? '';
    expect(attrs(out)).toContain('T');
    expect(attrs(small)).not.toContain('T');
  });
});
