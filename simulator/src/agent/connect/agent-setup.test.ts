import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeUbootEnv } from '@vfleet/core';
import { loadAgentSetup } from './agent-setup.js';
import { createDevicePaths } from './device-paths.js';
import { createLogger } from './logger.js';
import { makeTestPki, type TestPki } from './test-fixtures.js';

let pki: TestPki;
let dir: string;
let lines: string[];

beforeAll(() => {
  pki = makeTestPki();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-setup-'));
  lines = [];
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const at = new Date(2025, 0, 2, 3, 4, 5, 6);

function setup(env: Record<string, string>) {
  const log = createLogger({ sink: (l) => lines.push(l), format: 'console', level: 'debug', deviceId: 'd1', now: () => at });
  return loadAgentSetup({ env, paths: createDevicePaths({ root: dir, mode: 'mapped' }), log });
}

const ENV = { PERIDIO_CONFIG_FILE: '/etc/peridiod/peridio.json', VFLEET_FW_ENV_CONFIG: '/etc/peridiod/fw_env.config' };

describe('loadAgentSetup', () => {
  it('loads config, a persistent KV and a uboot-env identity from a mapped device directory', async () => {
    writeFileSync(join(dir, 'peridio.json'), JSON.stringify({
      version: 1,
      device_api: { url: 'localhost:4001', certificate_path: '/etc/peridiod/peridio-cert.pem' },
      node: { key_pair_source: 'uboot-env', key_pair_config: { private_key: 'peridio_key', certificate: 'peridio_cert' } },
      update_poll_enabled: true,
      surprise: 1,
    }));
    writeFileSync(join(dir, 'fw_env.config'), '/etc/peridiod/uboot.env 0x0000 0x20000\n');
    const vars = new Map([['peridio_key', b64(pki.device.keyPem)], ['peridio_cert', b64(pki.device.certPem)], ['peridio_active', 'a']]);
    writeFileSync(join(dir, 'uboot.env'), encodeUbootEnv(vars, { size: 0x20000 }));
    const s = await setup(ENV);
    expect(s.configPath).toBe('/etc/peridiod/peridio.json');
    expect(s.config.deviceApi).toMatchObject({ host: 'localhost', port: 4001, certificatePath: '/etc/peridiod/peridio-cert.pem' });
    expect(s.config.updatePollEnabled).toBe(true);
    expect({ ...s.identity, privateKey: undefined }).toEqual({ ...pki.device, privateKey: undefined });
    expect(s.identity.privateKey?.asymmetricKeyType).toBe('ec');
    expect(s.kv.persistent).toBe(true);
    expect(s.kv.get('peridio_active')).toBe('a');
    expect(s.warnings).toEqual([expect.stringMatching(/^\/etc\/peridiod\/peridio\.json: \$\.surprise: unknown key/) as unknown]);
    expect(lines).toEqual(['\n03:04:05.006 [info] [Config] Using config path: /etc/peridiod/peridio.json']);
  });

  it('an unreadable config: peridiod\'s warning, defaults, then the identity error (no KV either)', async () => {
    const err = await setup(ENV).catch((e: Error) => e);
    expect(lines).toEqual([
      expect.stringMatching(/^\n03:04:05\.006 \[error\] Peridiod failed to load KV: .*fw_env\.config: cannot read fw_env\.config/) as unknown,
      '\n03:04:05.006 [info] [Config] Using config path: /etc/peridiod/peridio.json',
      '\n03:04:05.006 [warning] [Config] unable to read config file: :enoent',
      '\n03:04:05.006 [error] [Config] key_pair_source env requires private_key and certificate to be passed as key_pair_options',
    ]);
    expect(err).toMatchObject({ code: 'VFLEET_CONFIG_INVALID', message: expect.stringMatching(/^Identity not configured for certificate with key_pair_source=env/) as unknown });
  });

  it('invalid JSON is logged with its position and the defaults are used', async () => {
    writeFileSync(join(dir, 'peridio.json'), '{"version": 1,,}');
    await setup(ENV).catch(() => undefined);
    expect(lines[2]).toMatch(/^\n03:04:05\.006 \[warning\] \[Config\] unable to read config file: \/etc\/peridiod\/peridio\.json: \$: invalid JSON at line 1, column \d+/);
  });

  it('follows XDG_CONFIG_HOME when PERIDIO_CONFIG_FILE is unset, and reads a file identity', async () => {
    mkdirSync(join(dir, 'root/cfg/peridio'), { recursive: true });
    writeFileSync(join(dir, 'root/cfg/peridio/peridio-config.json'), JSON.stringify({
      node: { key_pair_source: 'file', key_pair_config: { certificate_path: '/etc/peridiod/c.pem', private_key_path: '/etc/peridiod/k.pem' } },
    }));
    writeFileSync(join(dir, 'c.pem'), pki.device.certPem);
    writeFileSync(join(dir, 'k.pem'), pki.device.keyPem);
    const s = await setup({ XDG_CONFIG_HOME: '/cfg', HOME: '/home/x' });
    expect(s.configPath).toBe('/cfg/peridio/peridio-config.json');
    expect({ ...s.identity, privateKey: undefined }).toEqual({ ...pki.device, privateKey: undefined });
    expect(s.identity.privateKey?.asymmetricKeyType).toBe('ec');
    expect(s.kv.persistent).toBe(false);
  });
});
