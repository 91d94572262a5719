import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Agent } from '../agent/agent.js';
import { createAdminClient } from '../backend/admin-client.js';
import { seedEvk } from '../backend/evk-seed.js';
import { startBackend, type Backend } from '../backend/server.js';
import { generateDevices } from '../devices/generate.js';
import { evkSpecs } from '../devices/spec.js';
import { loadProduct } from '../product/product.js';
import { initWorkspace } from '../workspace/init.js';
import { createFleet, type Fleet } from './orchestrator.js';
import { createInprocRuntime } from './runtimes/inproc.js';
import { backendRebooter } from './backend-reboot.js';

export interface DemoOptions {
  home: string;
  signal: AbortSignal;
  /** Binary sizes relative to the EVK's. */
  sizeScale?: number;
  ports?: { device?: number; admin?: number; binary?: number };
  say?: (line: string) => void;
}

/**
 * The EVK story on one machine: workspace, embedded backend, the EVK product, the six devices and
 * their agents in this process (the inproc runtime). Returns once everything runs; stop with the signal.
 */
export async function startDemo(opts: DemoOptions) {
  const say = opts.say ?? (() => undefined);
  const { created } = initWorkspace({ home: opts.home });
  if (created.length > 0) say(`workspace ${opts.home} initialised`);
  const backend: Backend = await startBackend({
    home: opts.home,
    port: opts.ports?.device ?? 4443,
    adminPort: opts.ports?.admin ?? 4000,
    binaryPort: opts.ports?.binary ?? 4080,
  });
  const admin = createAdminClient(backend.admin.url, backend.adminToken);
  say('seeding the EVK product (cohorts, CAs, signing keys, artifacts, r1001, r1002)');
  await seedEvk({ home: opts.home, client: admin, sizeScale: opts.sizeScale ?? 1 });
  const product = loadProduct();
  const devicesDir = join(opts.home, 'devices');
  const fresh = !existsSync(devicesDir);
  await generateDevices({
    home: opts.home, out: devicesDir, cohort: product.deviceCohort, env: 'file', diskBytes: 256 * 1024 * 1024,
    force: false, specs: evkSpecs(product), deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath,
  });
  if (fresh) say(`six EVK devices written to ${devicesDir}`);
  const agents = new Map<string, Agent>();
  const fleet: Fleet = await createFleet({
    runtime: createInprocRuntime({ onAgent: (id, agent) => (agent ? agents.set(id, agent) : agents.delete(id)) }),
    devicesDir,
    owner: 'the vfleet demo',
    ids: product.devices.map((d) => d.id),
    backend: { adminUrl: backend.admin.url, adminToken: backend.adminToken, deviceApiUrl: backend.deviceApiUrl },
    requestReboot: backendRebooter(backend, product.product),
    generate: { home: opts.home, cohort: product.deviceCohort, deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath },
    signal: opts.signal,
  });
  return {
    backend,
    admin,
    fleet,
    product,
    devicesDir,
    /** The running agent of an inproc device (the demo and tests poke its updater). */
    agent: (id: string): Agent | undefined => agents.get(id),
    async stop() {
      await fleet.close();
      await backend.close();
    },
  };
}
