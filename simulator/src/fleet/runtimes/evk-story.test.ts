// The "done when" story per isolating runtime: the EVK six through the orchestrator against
// the embedded backend, r1001 → r1002 for the canaries only, then nothing left behind.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { haveTools, run } from '@vfleet/core/test-support';
import { initWorkspace } from '../../workspace/init.js';
import type { Backend } from '../../backend/server.js';
import { startEvkBackend } from '../../test-support/evk-backend.js';
import { until } from '../../test-support/device.js';
import { buildAgentImage } from '../image.js';
import { createFleet } from '../orchestrator.js';
import { BACKEND_HOST_NAME, type Runtime } from '../types.js';
import { createDockerRuntime } from './docker.js';
import { createNamespaceRuntime } from './namespace.js';
import { homeHash } from './netutil.js';
import { engineAnswers } from './test-engine.js';

const isRoot = process.getuid?.() === 0;
const tag = randomBytes(2).toString('hex');
const root = mkdtempSync(join(tmpdir(), 'vft-evk-'));
const image = `vft-evk/agent:${tag}`;
let imageBuilt = false;
afterAll(() => {
  if (imageBuilt) run('docker', ['image', 'rm', '-f', image]);
  rmSync(root, { recursive: true, force: true });
});

interface Case {
  name: string;
  enabled: () => boolean;
  make: (home: string) => Promise<Runtime & { backendListenHosts(): string[] }>;
  leftovers: (home: string) => string[];
}

const cases: Case[] = [
  {
    name: 'docker',
    enabled: () => haveTools('docker') && engineAnswers('docker'),
    make: async (home) => {
      await buildAgentImage({ offline: true, tag: image });
      imageBuilt = true;
      return createDockerRuntime({ home, image, namePrefix: `vft-evk-${tag}-`, networkPrefix: `vft-evk-${tag}-net-` });
    },
    leftovers: (home) => [
      ...run('docker', ['ps', '-a', '--filter', `label=vfleet.home=${homeHash(home)}`, '--format', '{{.Names}}']).split('\n'),
      ...run('docker', ['network', 'ls', '--filter', `label=vfleet.home=${homeHash(home)}`, '--format', '{{.Name}}']).split('\n'),
    ].filter(Boolean),
  },
  {
    name: 'namespace',
    enabled: () => {
      if (!isRoot && process.env['CI'] === 'true') throw new Error('the namespace story needs root in CI');
      return isRoot && haveTools('ip', 'unshare', 'capsh', 'flock');
    },
    make: async (home) => createNamespaceRuntime({ home, bridge: `vft-evkbr-${tag}`, subnet16: '10.218', netnsPrefix: `vft-evk-${tag}-`, vethPrefix: `vfte${tag}` }),
    leftovers: () => [
      ...run('ip', ['netns', 'list']).split('\n').filter((l) => l.startsWith(`vft-evk-${tag}-`)),
      ...run('ip', ['-o', 'link', 'show']).split('\n').filter((l) => l.includes(`vfte${tag}`) || l.includes(`vft-evkbr-${tag}`)),
    ],
  },
];

describe.each(cases)('EVK story in the $name runtime', (c) => {
  it.runIf(c.enabled())('six devices join, r1002 reaches the canaries only, teardown leaves nothing', async () => {
    const home = join(root, c.name, 'home');
    const devicesDir = join(root, c.name, 'devices');
    initWorkspace({ home });
    const runtime = await c.make(home);
    const pre = await runtime.preflight(6);
    expect(pre.problems).toEqual([]);
    await runtime.prepare?.();
    let started: Backend | undefined;
    let fleet: Awaited<ReturnType<typeof createFleet>> | undefined;
    try {
      const { backend, admin, ids } = await startEvkBackend(home, devicesDir, { publicHost: BACKEND_HOST_NAME, listenHosts: runtime.backendListenHosts() }, (b) => (started = b));
      fleet = await createFleet({ runtime, prepared: true, devicesDir, ids, rebootDelayMs: 200 });
      const productUuid = backend.store.products.getByName('edge-inference')?.uuid ?? '';
      const device = (id: string) => backend.store.devices.getByIdentifier(productUuid, id);
      await until(() => ids.every((id) => device(id)?.reported_version === '1.1.0' && backend.socket.isOnline(device(id)?.uuid ?? '')), 90_000);

      const releases = Object.values(await admin.call('GET', '/api/v1/releases'))[0] as Array<{ uuid: string; name: string }>;
      await admin.call('PATCH', `/api/v1/releases/${releases.find((r) => r.name === 'release-r1002')?.uuid ?? ''}`, { disabled: false });
      await until(() => ['EI-ML-0001', 'EI-ML-0002'].every((id) => device(id)?.reported_version === '2.0.0'), 60_000);
      // the JITP devices poll every 5 s too: after two more rounds they are still on r1001
      await new Promise((r) => setTimeout(r, 11_000));
      expect(ids.map((id) => device(id)?.reported_version)).toEqual(['2.0.0', '2.0.0', '1.1.0', '1.1.0', '1.1.0', '1.1.0']);
    } finally {
      await fleet?.close();
      await started?.close();
      const report = await runtime.cleanup();
      expect(report.errors).toEqual([]);
    }
    expect(c.leftovers(home)).toEqual([]);
  }, 240_000);
});
