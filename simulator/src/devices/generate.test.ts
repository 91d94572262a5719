import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abLayout, bootDevice, decodeBootHeader, readRange, decodeUbootEnv, parseAgentConfig, parseTrustedKey, readPartitionTable, readUbootEnvFromConfig, binRecord } from '@vfleet/core';
import { haveTools, run } from '@vfleet/core/test-support';
import { initWorkspace } from '../workspace/init.js';
import { workspacePaths } from '../workspace/home.js';
import { loadProduct } from '../product/product.js';
import { canRunAsDevice, runAsDevice } from '../test-support/as-device.js';
import { generateDevices } from './generate.js';
import { checkTags, deviceIds, evkSpecs } from './spec.js';
import { listDevices, removeDevices } from './list.js';

const MiB = 1024 * 1024;
let root: string;
let home: string;
const base = () => ({ home, cohort: 'release', env: 'file' as const, diskBytes: 64 * MiB, force: false });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-gen-'));
  home = join(root, 'home');
  initWorkspace({ home });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function parseEnvText(text: string): Map<string, string> {
  return new Map(
    text
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
}

describe('generateDevices --evk', () => {
  let out: string;
  beforeAll(async () => {
    out = join(root, 'evk');
    const product = loadProduct();
    const r = await generateDevices({ ...base(), out, specs: evkSpecs(product) });
    expect(r.created).toEqual(['EI-ML-0001', 'EI-ML-0002', 'EI-ML-0003', 'EI-ML-0004', 'EI-ML-0005', 'EI-ML-0006']);
  });

  it('writes the EVK file set and nothing half-written', () => {
    const dir = join(out, 'EI-ML-0001');
    expect(readdirSync(dir).sort()).toEqual(
      [
        'cache', 'device-certificate.pem', 'device-private-key.pem', 'device-signing-request.pem', 'disk.img',
        'entrypoint.sh', 'fw_env.config', 'hooks', 'peridio.json', 'root', 'swupdate-ca.pem', 'uboot.env', 'vfleet.json',
      ].sort(),
    );
    // an A/B board: swupdate's trust anchor is the workspace root CA, and the board names its revision
    expect(readFileSync(join(dir, 'swupdate-ca.pem'), 'utf8')).toBe(readFileSync(workspacePaths(home).rootCert, 'utf8'));
    expect(readFileSync(join(dir, 'root', 'etc', 'hwrevision'), 'utf8')).toBe('edge-inference 1.0\n');
    expect(readdirSync(join(dir, 'hooks')).sort()).toEqual(['pre-down.sh', 'pre-up.sh']);
    expect(statSync(join(dir, 'device-private-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'entrypoint.sh')).mode & 0o111).not.toBe(0);
    expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(readFileSync(join(dir, 'fw_env.config'), 'utf8')).toContain('/etc/peridiod/uboot.env 0x0000 0x20000');
  });

  it('writes the EVK peridio.json that parses cleanly and trusts the cohort key', () => {
    const text = readFileSync(join(out, 'EI-ML-0003', 'peridio.json'), 'utf8');
    const parsed = parseAgentConfig(text, 'peridio.json');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.warnings).toEqual([]);
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(json['targets']).toEqual(['arm64-v8', 'arm-ethos-u65']);
    expect(json['release_poll_interval']).toBe(5000);
    expect(json['device_api']).toBeUndefined();
    const pub = readFileSync(workspacePaths(home).signingPublicKey('release'), 'utf8');
    expect(json['trusted_signing_keys']).toEqual([parseTrustedKey(pub, 'release public key').toString('base64')]);
  });

  it('seeds uboot.env with the installed release and its binary records', () => {
    const vars = decodeUbootEnv(readFileSync(join(out, 'EI-ML-0001', 'uboot.env')), { source: 'uboot.env' }).vars;
    const product = loadProduct();
    const r1001 = product.releases.find((r) => r.name === 'release-r1001');
    expect(vars.get('peridio_vsn_current')).toBe('1.1.0');
    expect(vars.get('peridio_rel_current')).toMatch(new RegExp(`^prn:1:[0-9a-f-]{36}:release:${r1001?.uuid}$`));
    // os, service, model (the peripheral's target is not the device's): 3 records of 96 hex chars
    const bins = vars.get('peridio_bin_current') ?? '';
    expect(bins).toMatch(/^[0-9a-f]{288}$/);
    const os = product.artifacts[0];
    expect(bins.slice(0, 96)).toBe(binRecord(os?.versions[0]?.binaries[0]?.uuid ?? '', os?.customMetadata ?? {}));
  });

  it('marks canaries and JITP devices as the EVK does', () => {
    const listed = listDevices(out);
    expect(listed.map((d) => [d.meta.id, d.meta.tags])).toEqual([
      ['EI-ML-0001', ['canary']], ['EI-ML-0002', ['canary']], ['EI-ML-0003', []],
      ['EI-ML-0004', []], ['EI-ML-0005', []], ['EI-ML-0006', []],
    ]);
  });

  it.skipIf(!haveTools('openssl'))('issues a certificate openssl verifies against root and intermediate', () => {
    const p = workspacePaths(home);
    const dir = join(out, 'EI-ML-0002');
    const verify = run('openssl', ['verify', '-CAfile', p.rootCert, '-untrusted', p.intermediateCert('edge-inference', 'release'), join(dir, 'device-certificate.pem')]);
    expect(verify.trim()).toBe(`${join(dir, 'device-certificate.pem')}: OK`);
    expect(run('openssl', ['x509', '-noout', '-subject', '-in', join(dir, 'device-certificate.pem')]).trim()).toBe('subject=CN = EI-ML-0002');
    const fromCert = run('openssl', ['x509', '-noout', '-pubkey', '-in', join(dir, 'device-certificate.pem')]);
    const fromKey = run('openssl', ['pkey', '-pubout', '-in', join(dir, 'device-private-key.pem')]);
    expect(fromKey).toBe(fromCert);
  });

  it('makes each disk device an A/B board booted from slot a with the installed OS', () => {
    const dir = join(out, 'EI-ML-0005');
    const vars = decodeUbootEnv(readFileSync(join(dir, 'uboot.env')), { source: 'uboot.env' }).vars;
    expect(Object.fromEntries([...vars].filter(([k]) => !k.startsWith('peridio_') || k === 'peridio_active' || k === 'peridio_autovalidate'))).toEqual({
      peridio_active: 'a', 'a.peridio_product': 'edge-inference-os', 'a.peridio_version': '1.12.1', bootcount: '0', bootlimit: '3', peridio_autovalidate: '1',
    });
    const layout = abLayout({ sizeBytes: 64 * MiB });
    const header = decodeBootHeader(readRange(join(dir, 'disk.img'), layout.slots.a.offset, 4096), 'slot a');
    expect(header).toMatchObject({ name: 'edge-inference-os', version: '1.12.1', health: 'ok', architecture: 'arm64-v8' });
    expect(decodeBootHeader(readRange(join(dir, 'disk.img'), layout.slots.b.offset, 4096), 'slot b')).toBeNull();
    const boot = bootDevice({ env: vars, slots: { a: header, b: null } });
    expect(boot).toMatchObject({ slot: 'a', outcome: 'boot' });
    expect([...boot.changes.keys()].filter((k) => !k.startsWith('a.'))).toEqual([]);
  });

  it.skipIf(!haveTools('sfdisk'))('makes a sparse A/B disk that sfdisk reads', () => {
    const disk = join(out, 'EI-ML-0001', 'disk.img');
    const json = JSON.parse(run('sfdisk', ['--json', disk])) as { partitiontable: { label: string; partitions: Array<{ name: string }> } };
    expect(json.partitiontable.label).toBe('gpt');
    expect(json.partitiontable.partitions.map((p) => p.name)).toEqual(['rootfs-a', 'rootfs-b', 'data']);
    expect(readPartitionTable(disk).table.partitions.map((p) => p.name)).toEqual(['rootfs-a', 'rootfs-b', 'data']);
    expect(statSync(disk).size).toBe(64 * MiB);
  });

  it.skipIf(!haveTools('fw_printenv', 'fw_setenv', 'unshare') || !canRunAsDevice())(
    'fw_printenv on the device sees the seeded keys, and fw_setenv is read back by core',
    () => {
      const dir = join(out, 'EI-ML-0004');
      const printed = parseEnvText(runAsDevice(dir, ['fw_printenv', '-c', '/etc/peridiod/fw_env.config']));
      expect(printed.get('peridio_vsn_current')).toBe('1.1.0');
      runAsDevice(dir, ['fw_setenv', '-c', '/etc/peridiod/fw_env.config', 'vfleet_probe', 'hello']);
      const back = readUbootEnvFromConfig(join(dir, 'fw_env.config'), { resolvePath: (p) => p.replace('/etc/peridiod', dir) });
      expect(back.vars.get('vfleet_probe')).toBe('hello');
      expect(back.vars.get('peridio_vsn_current')).toBe('1.1.0');
    },
  );
});

describe('generateDevices --env disk', () => {
  it.skipIf(!haveTools('fw_printenv', 'fw_setenv', 'unshare') || !canRunAsDevice())(
    'keeps a redundant env pair inside disk.img that fw_printenv and fw_setenv agree on',
    async () => {
      const out = join(root, 'disk-env');
      await generateDevices({ ...base(), env: 'disk', out, specs: [{ id: 'D-0001', cohort: 'release', tags: [], target: 'arm64-v8' }] });
      const dir = join(out, 'D-0001');
      expect(existsSync(join(dir, 'uboot.env'))).toBe(false);
      const cfg = readFileSync(join(dir, 'fw_env.config'), 'utf8');
      expect(cfg.trim().split('\n').filter((l) => !l.startsWith('#'))).toHaveLength(2);
      const printed = parseEnvText(runAsDevice(dir, ['fw_printenv', '-c', '/etc/peridiod/fw_env.config']));
      expect(printed.get('peridio_vsn_current')).toBe('1.1.0');
      runAsDevice(dir, ['fw_setenv', '-c', '/etc/peridiod/fw_env.config', 'peridio_vsn_current', '9.9.9']);
      const back = readUbootEnvFromConfig(join(dir, 'fw_env.config'), { resolvePath: (p) => p.replace('/etc/peridiod', dir) });
      expect(back.vars.get('peridio_vsn_current')).toBe('9.9.9');
      expect(back.copyIndex).toBe(1);
    },
  );
});

describe('generateDevices re-runs and failures', () => {
  it('leaves existing devices untouched unless forced', async () => {
    const out = join(root, 'rerun');
    const specs = deviceIds('T', 1, 3).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
    await generateDevices({ ...base(), diskBytes: 0, out, specs });
    const cert = readFileSync(join(out, 'T-0002', 'device-certificate.pem'), 'utf8');
    const again = await generateDevices({ ...base(), diskBytes: 0, out, specs });
    expect(again.skipped).toEqual(['T-0001', 'T-0002', 'T-0003']);
    expect(readFileSync(join(out, 'T-0002', 'device-certificate.pem'), 'utf8')).toBe(cert);
    const forced = await generateDevices({ ...base(), diskBytes: 0, force: true, out, specs: specs.slice(1, 2) });
    expect(forced.replaced).toEqual(['T-0002']);
    expect(readFileSync(join(out, 'T-0002', 'device-certificate.pem'), 'utf8')).not.toBe(cert);
    expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('records a failing device, keeps going, and leaves no temporary directory', async () => {
    const out = join(root, 'failing');
    mkdirSync(out);
    // something vfleet did not make stands where one device must go: --force must not replace it
    writeFileSync(join(out, 'F-0002'), 'not a directory');
    const specs = deviceIds('F', 1, 3).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
    const r = await generateDevices({ ...base(), diskBytes: 0, force: true, out, specs });
    expect(r.created).toEqual(['F-0001', 'F-0003']);
    expect(r.failed).toEqual([{ id: 'F-0002', error: `${join(out, 'F-0002')} exists and is not a vfleet device directory; refusing to replace it` }]);
    expect(readFileSync(join(out, 'F-0002'), 'utf8')).toBe('not a directory');
    expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('fails the devices of an unusable target with its name, and writes the others', async () => {
    const out = join(root, 'targets');
    const specs = [
      { id: 'T-0001', cohort: 'release', tags: [], target: 'arm64-v8' },
      { id: 'T-0002', cohort: 'release', tags: [], target: '' },
      { id: 'T-0003', cohort: 'release', tags: [], target: 'x86 64' },
    ];
    const r = await generateDevices({ ...base(), out, specs });
    expect(r.created).toEqual(['T-0001']);
    expect(r.failed.map((f) => f.id)).toEqual(['T-0002', 'T-0003']);
    expect(r.failed[0]?.error).toMatch(/^device spec: target "" must match /);
    expect(r.failed[1]?.error).toMatch(/^device spec: target "x86 64" must match /);
    expect(readdirSync(out)).toEqual(['T-0001']);
  });

  it('fails a spec with an id that is not a plain name or with unusable tags, and writes the others', async () => {
    const out = join(root, 'specs');
    const specs = [
      { id: 'S-0001', cohort: 'release', tags: ['canary'], target: 'arm64-v8' },
      { id: '../escape', cohort: 'release', tags: [], target: 'arm64-v8' },
      { id: 'S-0003', cohort: 'release', tags: ['a\u0000b'], target: 'arm64-v8' },
      { id: 'S-0004', cohort: 'release', tags: ['x'.repeat(129)], target: 'arm64-v8' },
      { id: 'S-0005', cohort: 'release', tags: ['a,b'], target: 'arm64-v8' },
    ];
    const r = await generateDevices({ ...base(), out, specs });
    expect(r.created).toEqual(['S-0001']);
    expect(r.failed.map((f) => f.id)).toEqual(['../escape', 'S-0003', 'S-0004', 'S-0005']);
    expect(r.failed[0]?.error).toMatch(/^device spec: device id "\.\.\/escape" must match /);
    expect(r.failed[1]?.error).toBe('device spec S-0003: tag "a\\u0000b" must be 1 to 128 printable characters without a comma');
    expect(r.failed[2]?.error).toMatch(/tag "x{40}…" must be/);
    expect(r.failed[3]?.error).toMatch(/tag "a,b" must be/);
    expect(readdirSync(out)).toEqual(['S-0001']);
    expect(existsSync(join(root, 'escape'))).toBe(false);
    expect(() => checkTags(Array.from({ length: 101 }, (_, i) => `t${i}`), '--tags')).toThrow('--tags: 101 tags, at most 100 accepted');
  });

  it('names the device folder when it cannot be made', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    const specs = deviceIds('N', 1, 1).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
    await expect(generateDevices({ ...base(), out: join(file, 'devices'), specs })).rejects.toThrow(
      `${join(file, 'devices')}: cannot make the device folder: ENOTDIR`,
    );
  });

  it('rejects an unknown cohort before writing anything', async () => {
    const out = join(root, 'nocohort');
    await expect(generateDevices({ ...base(), cohort: 'nightly', out, specs: deviceIds('X', 1, 1).map((id) => ({ id, cohort: 'nightly', tags: [], target: 'arm64-v8' })) })).rejects.toThrow(
      /--cohort nightly: product edge-inference has cohorts release, release-debug, daily-release, daily-debug/,
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it('removes only vfleet devices', async () => {
    const out = join(root, 'rm');
    await generateDevices({ ...base(), diskBytes: 0, out, specs: deviceIds('R', 1, 2).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' })) });
    mkdirSync(join(out, 'precious'));
    expect(() => removeDevices(out, ['precious'])).toThrow(/no vfleet device named precious/);
    expect(removeDevices(out, 'all')).toEqual(['R-0001', 'R-0002']);
    expect(readdirSync(out)).toEqual(['precious']);
    chmodSync(join(out, 'precious'), 0o755);
  });
});
