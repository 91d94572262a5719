import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultAgentConfig, parseAgentConfig } from '@vfleet/core';
import { createDevicePaths } from './device-paths.js';
import { loadAgentConfig } from './config-load.js';
import { createHostsLookup } from './host-lookup.js';
import { createDeviceTls } from './device-tls.js';
import type { AgentLogger } from '../types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-device-read-'));
  mkdirSync(join(dir, 'root', 'etc'), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines: string[] = [];
const log = { info: () => undefined, warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l), debug: () => undefined } as unknown as AgentLogger;

// in-process agents share this thread: each of these blocked it (or the libuv pool) for ever on a FIFO
describe('device files an in-process agent reads', () => {
  it('a FIFO or a link at peridio.json falls back to the defaults at once, saying why', async () => {
    const paths = createDevicePaths({ mode: 'mapped', root: dir });
    execFileSync('mkfifo', [join(dir, 'peridio.json')]);
    lines.length = 0;
    const loaded = await loadAgentConfig({ env: {}, paths, log });
    expect(loaded.config).toEqual(defaultAgentConfig());
    expect(lines).toEqual(['[Config] unable to read config file: :einval (a FIFO, not a regular file)']);
    rmSync(join(dir, 'peridio.json'));
    writeFileSync(join(dir, 'elsewhere.json'), '{"device_api":{"url":"evil.example"}}');
    symlinkSync(join(dir, 'elsewhere.json'), join(dir, 'peridio.json'));
    lines.length = 0;
    const linked = await loadAgentConfig({ env: {}, paths, log });
    expect(linked.config).toEqual(defaultAgentConfig());
    expect(lines).toEqual(['[Config] unable to read config file: :eloop (a symbolic link, not followed outside a container)']);
  });

  it('a FIFO at the device\'s /etc/hosts is no hosts file, and a FIFO CA is refused naming it', async () => {
    const paths = createDevicePaths({ mode: 'mapped', root: dir });
    execFileSync('mkfifo', [join(dir, 'root', 'etc', 'hosts')]);
    const found = await new Promise<string>((resolve) => {
      createHostsLookup(paths)('localhost', { family: 4 }, (err, address) => resolve(err ? `error ${err.message}` : String(address)));
    });
    expect(found).toBe('127.0.0.1');
    execFileSync('mkfifo', [join(dir, 'ca.pem')]);
    const config = parseAgentConfig({ device_api: { certificate_path: '/etc/peridiod/ca.pem' } }, 'x');
    if (!config.ok) throw new Error('config');
    expect(() => createDeviceTls({ config: config.config, paths, identity: undefined as never })).toThrow(
      'device_api.certificate_path /etc/peridiod/ca.pem: cannot read the CA certificate (:einval (a FIFO, not a regular file))',
    );
  });
});
