import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { createAdminClient } from '../../backend/admin-client.js';
import { seedEvk } from '../../backend/evk-seed.js';
import { startBackend, type Backend } from '../../backend/server.js';
import { generateDevices } from '../../devices/generate.js';
import { scanDevices } from '../../devices/list.js';
import { deviceIds, evkSpecs, type DeviceSpec, type EnvMode } from '../../devices/spec.js';
import { loadProduct } from '../../product/product.js';
import { initWorkspace } from '../../workspace/init.js';
import { backendRebooter } from '../backend-reboot.js';
import { openFleetDb } from '../observe/fleet-db.js';
import { createFleet, type Fleet } from '../orchestrator.js';
import type { RampOptions } from '../ramp.js';
import { createRuntime } from '../runtimes/index.js';
import { formatBytes } from '../runtimes/host-limits.js';
import { BACKEND_HOST_NAME, type PreflightReport, type Runtime, type RuntimeName, type RuntimeOptions } from '../types.js';
import { recordRuntime, supervisorPaths } from './paths.js';
import type { SupervisorInfo } from './protocol.js';
import { serveFleet, socketAnswers, type ControlServer } from './server.js';

export interface SupervisorOptions {
  home: string;
  /** Folder of device directories (default `<cwd>/devices`). */
  devicesDir: string;
  runtime: RuntimeName | 'auto';
  /** Run EI-ML-0001 … EI-ML-<count>, generating the missing ones; default every device in the folder. */
  count?: number;
  /** The EVK's six devices. */
  evk?: boolean;
  ramp?: RampOptions;
  image?: string;
  disk?: 'file' | 'loop';
  /** A device API elsewhere (host[:port]) instead of the embedded backend, with its CA. */
  deviceApi?: string;
  deviceApiCa?: string;
  ports?: { device?: number; admin?: number; binary?: number };
  /** EVK binary sizes relative to the real ones, when seeding the embedded backend (default 1). */
  sizeScale?: number;
  /** New devices: env mode and disk size (default file env, 256 MiB disk). */
  env?: EnvMode;
  diskBytes?: number;
  /** Refuse to start when the preflight finds problems (default true). */
  strictPreflight?: boolean;
  /** Test hooks: runtime settings and restart timings. */
  runtimeFactory?: (o: RuntimeOptions) => Runtime;
  rebootDelayMs?: number;
  say?: (line: string) => void;
}

export interface Supervisor {
  fleet: Fleet;
  info: SupervisorInfo;
  preflight: PreflightReport;
  backend?: Backend;
  /** Resolves once the supervisor has stopped (stop(), a shutdown request). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The fleet supervisor: workspace, embedded backend (unless a device API is given), device
 * directories, the runtime and the orchestrator, served on the control socket until stopped.
 */
export async function startSupervisor(opts: SupervisorOptions): Promise<Supervisor> {
  const say = opts.say ?? (() => undefined);
  const home = resolve(opts.home);
  const devicesDir = resolve(opts.devicesDir);
  const paths = supervisorPaths(home);
  if (await socketAnswers(paths.socket)) throw new VfleetError('VFLEET_WORKSPACE', `a fleet supervisor already runs for ${home} (socket ${paths.socket}); vfleet down stops it`);
  if (opts.evk && opts.count !== undefined) throw new VfleetError('VFLEET_USAGE', '--evk runs the EVK six devices; drop --count');
  if ((opts.deviceApi === undefined) !== (opts.deviceApiCa === undefined) && opts.deviceApi !== undefined) {
    throw new VfleetError('VFLEET_USAGE', '--device-api needs --device-api-ca FILE (the CA that signed the device API server certificate)');
  }
  const init = initWorkspace({ home });
  const product = loadProduct(init.manifest.product);

  // which devices: the EVK six, EI-ML-0001…N, or whatever the folder holds
  let specs: DeviceSpec[] = [];
  if (opts.evk) specs = evkSpecs(product);
  else if (opts.count !== undefined) specs = deviceIds('EI-ML', 1, opts.count).map((id) => ({ id, cohort: product.deviceCohort, tags: [], target: 'arm64-v8' }));
  let ids = specs.map((s) => s.id);
  if (specs.length === 0) {
    const { devices, damaged } = scanDevices(devicesDir);
    ids = devices.map((d) => d.meta.id);
    // a device whose vfleet.json is damaged is left out: say which and why
    for (const d of damaged) say(`not in the fleet: ${d.problem}`);
  }
  if (ids.length === 0) throw new VfleetError('VFLEET_USAGE', `no devices in ${devicesDir}: pass --count N or --evk`);

  const ports = { device: opts.ports?.device ?? 4443, admin: opts.ports?.admin ?? 4000, binary: opts.ports?.binary ?? 4080 };
  const runtimeOpts: RuntimeOptions = {
    home,
    ...(opts.image === undefined ? {} : { image: opts.image }),
    ...(opts.disk === undefined ? {} : { disk: opts.disk }),
    ...(opts.deviceApi === undefined ? { backend: { port: ports.device, binaryPort: ports.binary } } : {}),
  };
  const runtime = opts.runtimeFactory ? opts.runtimeFactory(runtimeOpts) : createRuntime(opts.runtime, { ...runtimeOpts, count: ids.length });
  recordRuntime(home, runtime.name);
  const preflight = await runtime.preflight(ids.length);
  say(`runtime ${runtime.name}: ${ids.length} device(s), about ${formatBytes(preflight.memoryPerDevice)} each`);
  for (const c of preflight.ceilings) say(`  ceiling ${c.what}: ${c.limit} devices${c.advisory === true ? ' (advisory)' : ''} (${c.note})`);
  for (const p of preflight.problems) say(`  problem: ${p}`);
  if (!preflight.ok && opts.strictPreflight !== false) {
    throw new VfleetError('VFLEET_WORKSPACE', `preflight for ${ids.length} ${runtime.name} device(s) failed: ${preflight.problems.join('; ')}`);
  }
  await runtime.prepare?.();

  let backend: Backend | undefined;
  const cleanupOnError: Array<() => Promise<unknown>> = [async () => runtime.cleanup()];
  try {
    let deviceApi = opts.deviceApi;
    let deviceApiCa = opts.deviceApiCa;
    if (deviceApi === undefined) {
      const listenHosts = runtime.backendListenHosts?.() ?? [];
      // every runtime resolves this name to the backend (containers via --add-host, the rest via the device's /etc/hosts)
      backend = await startBackend({ home, port: ports.device, adminPort: ports.admin, binaryPort: ports.binary, publicHost: BACKEND_HOST_NAME, listenHosts });
      const b = backend;
      cleanupOnError.unshift(() => b.close());
      say(`embedded backend: device API ${backend.deviceApiUrl}, admin ${backend.admin.url}`);
      await seedEvk({ home, client: createAdminClient(backend.admin.url, backend.adminToken), sizeScale: opts.sizeScale ?? 1 });
      deviceApi = backend.deviceApiUrl;
      deviceApiCa = backend.deviceApiCaPath;
    }
    const generate = {
      home, cohort: product.deviceCohort, env: opts.env ?? 'file', diskBytes: opts.diskBytes ?? 256 * 2 ** 20,
      ...(deviceApi === undefined ? {} : { deviceApi }), ...(deviceApiCa === undefined ? {} : { deviceApiCa }),
    } as const;
    if (specs.length > 0) {
      const t0 = performance.now();
      const made = await generateDevices({ ...generate, out: devicesDir, force: false, specs });
      if (made.failed.length > 0) say(`  ${made.failed.length} device(s) could not be written: ${made.failed.slice(0, 3).map((f) => `${f.id}: ${f.error}`).join('; ')}`);
      if (made.created.length > 0) say(`${made.created.length} device(s) written to ${devicesDir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const recorder = openFleetDb(paths.db, { onError: (e) => say(e.message) });
    cleanupOnError.unshift(async () => recorder.close());
    const fleet = await createFleet({
      runtime,
      prepared: true,
      owner: `vfleet up, VFLEET_HOME ${home}`,
      devicesDir,
      ids,
      ...(opts.ramp ? { ramp: opts.ramp } : {}),
      ...(opts.rebootDelayMs === undefined ? {} : { rebootDelayMs: opts.rebootDelayMs }),
      recorder,
      generate,
      ...(backend
        ? {
            backend: { adminUrl: backend.admin.url, adminToken: backend.adminToken, deviceApiUrl: backend.deviceApiUrl },
            requestReboot: backendRebooter(backend, product.product),
          }
        : {}),
    });
    cleanupOnError.unshift(() => fleet.close());
    const info: SupervisorInfo = {
      pid: process.pid, home, devicesDir, runtime: runtime.name, socket: paths.socket, startedAt: new Date().toISOString(),
      ...(fleet.backend ? { backend: fleet.backend } : {}),
      ...(deviceApi === undefined ? {} : { deviceApi }),
    };
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => (resolveStopped = r));
    let stopping: Promise<void> | undefined;
    // called from a shutdown request or the owner, both after `server` exists
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        say('stopping the fleet');
        await server.close();
        await fleet.close();
        await backend?.close();
        const report = await runtime.cleanup();
        for (const e of report.errors) say(`  cleanup: ${e}`);
        rmSync(paths.record, { force: true });
        say('fleet stopped');
        resolveStopped();
      })());
    const server: ControlServer = await serveFleet(fleet, { path: paths.socket, info: () => info, onShutdown: () => void stop() });
    mkdirSync(dirname(paths.record), { recursive: true });
    // it holds the admin token: readable by the owner only, like the workspace's admin-token file
    writeFileSync(paths.record, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
    chmodSync(paths.record, 0o600);
    say(`control socket ${paths.socket} (pid ${process.pid})`);
    return { fleet, info, preflight, ...(backend ? { backend } : {}), stopped, stop };
  } catch (e) {
    for (const undo of cleanupOnError) await undo().catch(() => undefined);
    throw e;
  }
}
