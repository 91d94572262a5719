import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { createAdminClient } from '../backend/admin-client.js';
import { seedEvk } from '../backend/evk-seed.js';
import { generateDevices } from '../devices/generate.js';
import { deviceIds, evkSpecs, type DeviceSpec } from '../devices/spec.js';
import { createFleet, type Fleet } from '../fleet/orchestrator.js';
import { LOCK_NAME, lockDeviceFolder, type FolderLock } from '../fleet/folder-lock.js';
import { createRuntime } from '../fleet/runtimes/index.js';
import { BACKEND_HOST_NAME, type DeviceStatus, type Runtime } from '../fleet/types.js';
import { bundleBinaries } from '../product/installed-state.js';
import { loadProduct, targetsFor, type Product } from '../product/product.js';
import { initWorkspace } from '../workspace/init.js';
import { readWorkspace } from '../workspace/load.js';
import { MetricsCollector } from './collector.js';
import { floorSettleMs, measureFloor, type FloorResult } from './floor.js';
import { preflightTarget } from './preflight.js';
import { pick, seededRandom } from './random.js';
import { startLoadBackend, type LoadBackend } from './backend-host.js';
import { adminActions, hookActions, type ReleaseActions } from './release-actions.js';
import { prepareRelease, type PreparedRelease } from './release-setup.js';
import { buildReport } from './build-report.js';
import type { LoadReport, PhaseRecord, Timeline } from './report.js';
import type { Fault, Phase, ProvisionPhase, Scenario, WaitCondition } from './scenario.js';
import { sleep } from './sleep.js';

export interface LoadRunOptions {
  scenario: Scenario;
  /** Workspace (VFLEET_HOME) whose PKI signs device identities for a real backend. */
  home: string;
  /** Device directories and the embedded backend's state live here during the run (default: a temp folder, removed after). */
  workDir?: string;
  keepWorkDir?: boolean;
  /** How long the floor waits after the devices' files are deleted, given the bytes freed (default: floorSettleMs). */
  floorSettleMs?: (freedBytes: number) => number;
  /** Ctrl-C: stop the phases, tear down, report what was measured (marked incomplete). */
  signal?: AbortSignal;
  /** Phase messages (one line each). */
  say?: (line: string) => void;
  /** Called every sample with the live state (progress line, metrics endpoint). */
  onSample?: (live: LiveState) => void;
}

/** What is known mid-run: for the progress line and the metrics endpoint. */
export interface LiveState {
  elapsedSeconds: number;
  phase: string;
  provisioned: number;
  online: number;
  updated: number;
  updating: number;
  targetVersion: string | undefined;
  collector: MetricsCollector;
}

/**
 * What can be refused before anything starts; each failure is one line (exit 2). `home` is where
 * the runtime keeps its pid files and logs.
 */
export async function preflightLoad(s: Scenario, home: string): Promise<{ runtime: Runtime; total: number }> {
  const total = s.phases.reduce((n, p) => n + (p.kind === 'provision' ? p.count : 0), 0);
  if (total === 0) throw new VfleetError('VFLEET_USAGE', `${s.file ?? 'scenario'}: no provision phase, so no devices to run`);
  await preflightTarget(s);
  const runtime = createRuntime(s.target.runtime, { home, count: total });
  const pre = await runtime.preflight(total);
  if (!pre.ok) throw new VfleetError('VFLEET_USAGE', `runtime ${runtime.name} cannot run ${total} devices here: ${pre.problems.join('; ')}`);
  return { runtime, total };
}

/** Runs a scenario to the end (or Ctrl-C) and returns its report; throws only for what preflight refuses. */
export async function runLoad(opts: LoadRunOptions): Promise<LoadReport> {
  const s = opts.scenario;
  const say = opts.say ?? (() => undefined);
  const embedded = s.target.deviceApi === undefined;
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), `vfleet-load-${s.name}-`));
  mkdirSync(workDir, { recursive: true });
  const home = embedded ? join(workDir, 'home') : opts.home;
  let runtime: Runtime;
  try {
    ({ runtime } = await preflightLoad(s, home));
    if (!embedded) readWorkspace(opts.home); // a real backend trusts this workspace's cohort CAs
  } catch (e) {
    if (opts.workDir === undefined) rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
  const devicesDir = join(workDir, 'devices');
  // taken before the folder is cleared: another run (or fleet) over it is refused, not wiped
  let folderLock: FolderLock;
  try {
    folderLock = lockDeviceFolder(devicesDir, `vfleet load ${s.file ?? ''}`.trim());
  } catch (e) {
    if (opts.workDir === undefined) rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
  for (const name of readdirSync(devicesDir)) if (name !== LOCK_NAME) rmSync(join(devicesDir, name), { recursive: true, force: true });

  const startedAt = Date.now();
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = controller.signal;
  const random = seededRandom(s.seed);
  const fleets: Fleet[] = [];
  const fleetOf = new Map<string, Fleet>();
  const ids: string[] = [];
  const started = new Set<string>();
  const statusOf = (id: string): DeviceStatus | undefined => fleetOf.get(id)?.status(id);
  const collector = new MetricsCollector(statusOf);
  const phases: PhaseRecord[] = [];
  const checks: LoadReport['checks'] = [];
  const timeline: Timeline = { intervalMs: s.sampleIntervalMs, t: [], online: [], updated: [], updating: [], errors: [], crashes: [], marks: [] };
  const faultTimers = new Set<NodeJS.Timeout>();
  let phaseLabel = 'setup';
  let incompleteReason: string | null = null;
  let backend: LoadBackend | undefined;
  /** Every binary in the embedded backend (what a binary fault hits when there is no release). */
  let allBinaries: string[] = [];
  let release: PreparedRelease | undefined;
  let actions: ReleaseActions | undefined;
  let product: Product | undefined;
  let prepared = false;
  let floor: FloorResult | null = null;
  const seconds = (at = Date.now()) => (at - startedAt) / 1000;

  const sample = () => {
    collector.sweep(ids);
    let updating = 0;
    for (const id of ids) {
      const p = statusOf(id)?.phase;
      if (p === 'queued' || p === 'downloading' || p === 'installing') updating++;
    }
    const live: LiveState = {
      elapsedSeconds: seconds(), phase: phaseLabel, provisioned: ids.length, online: collector.joinedCount(), updated: collector.updatedCount(),
      updating, targetVersion: collector.targetVersion, collector,
    };
    timeline.t.push(+live.elapsedSeconds.toFixed(2));
    timeline.online.push(live.online);
    timeline.updated.push(live.updated);
    timeline.updating.push(updating);
    timeline.errors.push(collector.counters.errors);
    timeline.crashes.push(collector.counters.crashes);
    opts.onSample?.(live);
  };
  const sampler = setInterval(sample, s.sampleIntervalMs);

  try {
    // the target: the embedded backend with its product and the release, or a real one through a hook
    await runtime.prepare?.();
    prepared = true;
    if (embedded) {
      initWorkspace({ home });
      // every runtime resolves this name to the backend (containers via --add-host, the rest via the device's /etc/hosts)
      const listenHosts = runtime.backendListenHosts?.() ?? [];
      backend = await startLoadBackend({
        home, publicHost: BACKEND_HOST_NAME, listenHosts, product: readWorkspace(home).product,
        onError: (message) => collector.error('-', 'backend', message),
      });
      const admin = createAdminClient(backend.adminUrl, backend.adminToken);
      say(`embedded backend (${backend.where}): device API ${backend.deviceApiUrl}, admin ${backend.adminUrl}`);
      await seedEvk({ home, client: admin, sizeScale: s.target.sizeScale });
      allBinaries = (await admin.call<{ binaries: Array<{ uuid: string }> }>('GET', '/api/v1/binaries')).binaries.map((b) => b.uuid);
      if (s.release) {
        release = await prepareRelease(admin, s.release);
        actions = adminActions(admin, release.uuid, release.name);
        say(`release ${release.name} ${release.version}: ${release.binaries.length} binar${release.binaries.length === 1 ? 'y' : 'ies'}`);
      }
    } else if (s.release) {
      actions = hookActions(s.target.hook, s.release, say, s.file ? dirname(s.file) : process.cwd());
    }
    product = loadProduct(readWorkspace(home).product);
    collector.targetVersion = s.release?.version;
    if (release) collector.releaseBytes = releaseBytes(release, product);

    for (const [index, phase] of s.phases.entries()) {
      if (signal.aborted) break;
      phaseLabel = `${phase.kind} (${index + 1}/${s.phases.length})`;
      timeline.marks.push({ t: +seconds().toFixed(2), label: phase.kind });
      const t0 = Date.now();
      const record: PhaseRecord = { index, kind: phase.kind, line: phase.at.line, start: +seconds(t0).toFixed(3), seconds: 0, outcome: 'ok' };
      phases.push(record);
      try {
        const note = await runPhase(phase);
        if (note) record.note = note;
        if (signal.aborted) record.outcome = 'interrupted';
      } catch (e) {
        if (e instanceof WaitTimeout) {
          record.outcome = 'timeout';
          record.note = e.message;
        } else {
          record.outcome = 'error';
          record.note = (e as Error).message;
          incompleteReason = `phase ${index + 1} (${phase.kind}) failed: ${(e as Error).message}`;
        }
      }
      record.seconds = +((Date.now() - t0) / 1000).toFixed(3);
      if (record.note) say(`${phase.kind}: ${record.note}`);
      if (record.outcome === 'timeout' || record.outcome === 'error') {
        for (const [j, rest] of s.phases.entries()) {
          if (j <= index) continue;
          phases.push({ index: j, kind: rest.kind, line: rest.at.line, start: +seconds().toFixed(3), seconds: 0, outcome: 'skipped' });
        }
        break;
      }
    }
  } catch (e) {
    incompleteReason = `setup failed: ${(e as Error).message}`;
  } finally {
    if (signal.aborted && incompleteReason === null) incompleteReason = 'interrupted (Ctrl-C)';
    phaseLabel = 'teardown';
    collector.stoppingAll();
    sample();
    clearInterval(sampler);
    for (const t of faultTimers) clearTimeout(t);
    await Promise.all(fleets.map((f) => f.close().catch(() => undefined)));
    folderLock.release();
    await backend?.close().catch(() => undefined);
    if (prepared) await runtime.cleanup().catch(() => undefined);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const finishedAt = Date.now();

  // the floor after the devices stopped (and their gigabytes are gone), so it has the machine to itself
  const bytesPerDevice = collector.releaseBytes;
  if (!opts.keepWorkDir) rmSync(devicesDir, { recursive: true, force: true });
  if (s.floor && !signal.aborted && bytesPerDevice && collector.counters.updated > 0) {
    const settleMs = opts.keepWorkDir ? 0 : (opts.floorSettleMs ?? floorSettleMs)(bytesPerDevice * collector.counters.updated);
    if (settleMs > 0) say(`floor: waiting ${settleMs / 1000} s first: this VM's balloon hands freed memory back to its host, and memory freed a moment ago would make the floor look cheaper than the rollout's writes were`);
    if (await sleep(settleMs, signal)) {
      say(`floor: hashing and writing ${bytesPerDevice} bytes × ${collector.counters.updated} devices`);
      floor = await measureFloor(join(workDir, 'floor'), collector.counters.updated, bytesPerDevice, settleMs / 1000);
    }
  }
  if (!opts.keepWorkDir && opts.workDir === undefined) rmSync(workDir, { recursive: true, force: true });

  return buildReport({ scenario: s, startedAt, finishedAt, collector, phases, checks, timeline, incompleteReason, bytesPerDevice, floor });

  async function runPhase(phase: Phase): Promise<string | undefined> {
    switch (phase.kind) {
      case 'provision':
        return provision(phase);
      case 'ramp':
        return ramp(phase.ratePerSecond, phase.jitter);
      case 'steady':
        await sleep(phase.durationMs, signal);
        return undefined;
      case 'rollout': {
        const done: string[] = [];
        for (const step of phase.steps) {
          if (!(await sleep(step.afterMs, signal))) break;
          if (!actions) throw new VfleetError('VFLEET_USAGE', 'rollout without a release');
          if (step.action !== 'disable' && collector.enabledAt === undefined) collector.enabledAt = Date.now();
          done.push(await actions(step, signal));
        }
        return done.join('; ');
      }
      case 'wait':
        return waitFor(phase.until, phase.timeoutMs);
      case 'faults': {
        const chosen = new Set<string>();
        return phase.faults.map((f) => injectFault(f, chosen)).join('; ');
      }
      case 'teardown': {
        collector.stoppingAll();
        await Promise.all(fleets.map((f) => f.stop({ all: true })));
        return `${ids.length} devices stopped`;
      }
    }
  }

  async function provision(p: ProvisionPhase): Promise<string> {
    const prod = product as Product;
    const cohort = p.cohort ?? prod.deviceCohort;
    let specs: DeviceSpec[];
    if (p.evk) specs = evkSpecs(prod);
    else {
      const taken = ids.filter((id) => id.startsWith(`${p.prefix}-`)).length;
      specs = deviceIds(p.prefix, taken + 1, p.count).map((id) => ({ id, cohort, tags: [...p.tags], target: p.target ?? 'arm64-v8' }));
    }
    const clash = specs.find((sp) => fleetOf.has(sp.id));
    if (clash) throw new VfleetError('VFLEET_USAGE', `device ${clash.id} is provisioned twice`);
    const deviceApi = backend ? backend.deviceApiUrl : (s.target.deviceApi as string);
    const deviceApiCa = backend ? backend.deviceApiCaPath : (s.target.deviceApiCa as string);
    const result = await generateDevices({ home, out: devicesDir, cohort, env: p.env, diskBytes: p.diskBytes, force: true, specs, deviceApi, deviceApiCa });
    if (result.failed.length > 0) throw new VfleetError('VFLEET_IO', `provision: ${result.failed.length} device(s) failed, first ${result.failed[0]?.id}: ${result.failed[0]?.error}`);
    for (const sp of specs) patchConfig(join(devicesDir, sp.id, 'peridio.json'), p);
    const fleet = await createFleet({
      runtime,
      prepared: true,
      devicesDir,
      folderLock,
      ids: specs.map((sp) => sp.id),
      autostart: false,
      ...(backend ? { backend: { adminUrl: backend.adminUrl, adminToken: backend.adminToken, deviceApiUrl: backend.deviceApiUrl }, requestReboot: backend.reboot } : {}),
    });
    fleet.subscribe((e) => collector.onEvent(e));
    fleets.push(fleet);
    for (const sp of specs) {
      fleetOf.set(sp.id, fleet);
      ids.push(sp.id);
    }
    collector.provisioned(specs.length);
    return `${specs.length} devices (${specs[0]?.id} … ${specs.at(-1)?.id}) in ${devicesDir}`;
  }

  async function ramp(rate: number, jitter: number): Promise<string> {
    const todo = ids.filter((id) => !started.has(id));
    const interval = 1000 / rate;
    const t0 = Date.now();
    const plan = todo
      .map((id, i) => ({ id, at: t0 + Math.max(0, i * interval + (random() * 2 - 1) * jitter * interval) }))
      .sort((a, b) => a.at - b.at);
    for (const { id, at } of plan) {
      if (!(await sleep(at - Date.now(), signal))) break;
      started.add(id);
      collector.startRequested(id, Date.now());
      await (fleetOf.get(id) as Fleet).start({ ids: [id] });
    }
    return `${plan.filter((x) => started.has(x.id)).length} devices started in ${((Date.now() - t0) / 1000).toFixed(1)}s`;
  }

  async function waitFor(c: WaitCondition, timeoutMs: number): Promise<string> {
    const need = 'count' in c.amount ? c.amount.count : Math.ceil(c.amount.fraction * ids.length);
    const t0 = Date.now();
    const count = () => {
      collector.sweep(ids);
      let n = 0;
      for (const id of ids) {
        if (!collector.isJoined(id)) continue;
        if ('online' in c.state || statusOf(id)?.version === c.state.version) n++;
      }
      return n;
    };
    let n = count();
    while (n < need) {
      if (Date.now() - t0 >= timeoutMs) {
        checks.push({ name: `wait until ${c.text}`, pass: false, message: `${n} of ${need} after ${timeoutMs / 1000}s` });
        throw new WaitTimeout(`until ${c.text}: ${n} of ${need} devices after ${(timeoutMs / 1000).toFixed(0)}s`);
      }
      if (!(await sleep(Math.min(200, timeoutMs - (Date.now() - t0)), signal))) return `until ${c.text}: interrupted at ${n} of ${need}`;
      n = count();
    }
    checks.push({ name: `wait until ${c.text}`, pass: true, message: `${n} of ${need} after ${((Date.now() - t0) / 1000).toFixed(1)}s` });
    return `until ${c.text}: ${n} devices after ${((Date.now() - t0) / 1000).toFixed(1)}s`;
  }

  /** One fault; devices already hit in this phase (`chosen`) are left alone. */
  function injectFault(f: Fault, chosen: Set<string>): string {
    if (f.fault === 'binary') {
      if (!backend) throw new VfleetError('VFLEET_USAGE', 'binary faults need the embedded backend');
      const b = backend;
      const uuids = release ? release.binaries.map((x) => x.uuid) : allBinaries;
      const fault = { ...(f.status === undefined ? {} : { status: f.status }), ...(f.truncateAt === undefined ? {} : { truncateAt: f.truncateAt }), ...(f.corrupt ? { corrupt: true } : {}) };
      b.setFault(uuids, fault);
      const timer = setTimeout(() => {
        faultTimers.delete(timer);
        b.setFault(uuids, undefined);
      }, f.durationMs);
      faultTimers.add(timer);
      return `binary fault ${JSON.stringify(fault)} on ${uuids.length} binaries for ${f.durationMs / 1000}s`;
    }
    const pool = ids.filter((id) => {
      const run = statusOf(id)?.run;
      return !chosen.has(id) && (f.fault === 'start' ? run === 'stopped' : run === 'running');
    });
    const n = 'count' in f.amount ? f.amount.count : Math.ceil(f.amount.fraction * ids.length);
    const hit = pick(pool, n, random);
    for (const id of hit) {
      chosen.add(id);
      const fleet = fleetOf.get(id) as Fleet;
      if (f.fault === 'kill') {
        collector.injectedKill(id);
        void fleet.kill({ ids: [id] });
      } else if (f.fault === 'reboot' || f.fault === 'stop') {
        collector.injectedStop(id);
        void (f.fault === 'reboot' ? fleet.reboot({ ids: [id] }) : fleet.stop({ ids: [id] }));
      } else {
        collector.startRequested(id, Date.now());
        void fleet.start({ ids: [id] });
      }
    }
    return `${f.fault} ${hit.length} device(s)${hit.length < n ? ` (${n} asked, ${pool.length} eligible)` : ''}`;
  }
}

class WaitTimeout extends Error {}

/** peridio.json overrides a provision phase asks for. */
function patchConfig(file: string, p: ProvisionPhase): void {
  if (p.pollIntervalMs === undefined && p.cacheEncryption === undefined) return;
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (p.pollIntervalMs !== undefined) {
    json['update_poll_enabled'] = true;
    json['update_poll_interval'] = p.pollIntervalMs;
  }
  if (p.cacheEncryption !== undefined) json['cache_encryption_enabled'] = p.cacheEncryption;
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

/** Bytes one device fetches: the release's binaries for the default target set, minus those the installed release already has. */
function releaseBytes(r: PreparedRelease, product: Product): number | undefined {
  const targets = targetsFor(product, 'arm64-v8');
  const current = product.releases.find((x) => x.name === product.installedRelease);
  const installed = new Set(current ? bundleBinaries(product, current.bundle, targets).map((b) => b.binary.uuid) : []);
  const bytes = r.binaries.filter((b) => targets.includes(b.target) && !installed.has(b.uuid)).reduce((n, b) => n + b.size, 0);
  return bytes > 0 ? bytes : undefined;
}
