import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { REBOOT_EXIT_CODE } from '../agent/agent.js';
import { cutUnits, escapeControls } from '../agent/connect/log-text.js';
import { readDeviceEnv } from '../devices/device-env.js';
import { readDeviceMeta } from '../devices/device-files.js';
import { lockDeviceFolder, type FolderLock } from './folder-lock.js';
import { generateDevices } from '../devices/generate.js';
import { listDevices, removeDevices } from '../devices/list.js';
import { checkDeviceId, checkTags, type DeviceMeta, type EnvMode } from '../devices/spec.js';
import { reduceDevice, summarize, type Tracked } from './observe/device-state.js';
import { parseLogLine } from './observe/log-parser.js';
import { createRamp, type RampOptions } from './ramp.js';
import { virtualBoot } from './virtual-boot.js';
import type { DeviceEvent, DeviceEventKind, DeviceSelector, DeviceStatus, FleetHandle, RunningDevice, Runtime } from './types.js';

/** Where the fleet persists statuses and events (observe/fleet-db.ts); optional. */
export interface FleetRecorder {
  device(status: DeviceStatus): void;
  event(event: DeviceEvent): void;
  forget(id: string): void;
  close(): void;
}

/** How `add()` makes new device directories. */
export interface FleetGenerateOptions {
  home: string;
  cohort: string;
  env?: EnvMode;
  diskBytes?: number;
  deviceApi?: string;
  deviceApiCa?: string;
  prefix?: string;
  target?: string;
}

export interface FleetOptions {
  runtime: Runtime;
  /** Folder with one directory per device. */
  devicesDir: string;
  /** Devices in the fleet (default: every vfleet device directory in `devicesDir`). */
  ids?: string[];
  /** Start them all now through the ramp (default true). */
  autostart?: boolean;
  ramp?: RampOptions;
  /** Pause between a reboot exit and the next boot (default 1 s). */
  rebootDelayMs?: number;
  /** Crash restarts wait initialMs, doubling up to maxMs (default 1 s … 30 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Crashes in a row without ever joining the device channel before the device is marked failed (default 5). */
  maxCrashes?: number;
  /** Grace before a stop becomes a kill (default 5 s). */
  graceMs?: number;
  /** Log lines kept per device for `logs()` (default 100). */
  logLines?: number;
  /** Extra environment for every agent. */
  env?: Record<string, string>;
  generate?: FleetGenerateOptions;
  recorder?: FleetRecorder;
  backend?: FleetHandle['backend'];
  /** Asks a connected device to reboot through its device channel; false when it is not connected. */
  requestReboot?: (id: string) => boolean | Promise<boolean>;
  /** Aborting closes the fleet. */
  signal?: AbortSignal;
  /** The caller already ran `runtime.prepare()` (the supervisor does, before the backend listens). */
  prepared?: boolean;
  /** Who runs this fleet, for the message another fleet gets when it finds the device folder taken. */
  owner?: string;
  /** The device folder's lock, held by the caller for several fleets of its own (vfleet load's phases). */
  folderLock?: FolderLock;
}

/** A fleet run by this process: the FleetHandle plus what only a local owner can see. */
export interface Fleet extends FleetHandle {
  /** Synchronous snapshot of one device. */
  status(id: string): DeviceStatus | undefined;
  /** Resolves once every device queued so far has been started by the ramp. */
  drained(): Promise<void>;
}

interface Dev extends Tracked {
  dir: string;
  /** The user wants it running (start/stop). */
  wanted: boolean;
  running?: RunningDevice;
  /** A boot sequence is in progress (between scheduling and the agent's exit). */
  busy: boolean;
  timer?: NodeJS.Timeout | undefined;
  asked?: 'reboot' | 'kill' | 'stop';
  consecutiveCrashes: number;
  /** Reboots since the agent last connected: a device that reboots before ever connecting gets backoff. */
  rebootsWithoutJoin: number;
  /** The boot in progress (start, run, exit), which stop and remove wait for. */
  booting?: Promise<void>;
  /** Removed from the fleet: whatever its last boot still does is neither recorded nor announced. */
  removed?: boolean;
  everJoined: boolean;
  lines: string[];
  /** The first stderr lines of this boot: an agent that cannot start says why there. */
  stderrHead: string[];
}

/** How long past the grace period stop and remove wait for a start in flight to end. */
const BOOT_SETTLE_MS = 30_000;

/** Reboots in a row without connecting that restart after the plain reboot delay (U-Boot's bootlimit is 3). */
const FREE_REBOOTS = 5;

/** Most devices one `add` makes (as `--count` everywhere). */
const MAX_ADD = 100_000;

/** Longest device output line kept and parsed: an agent's lines are a few hundred characters; a device could print gigabytes. */
export const MAX_LINE_CHARS = 8192;
const firstLine = (e: unknown) => ((e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '').slice(0, 300);


/**
 * The orchestrator: starts devices through a runtime with a ramp, plays the bootloader before each
 * (re)start, restarts reboots and (with backoff) crashes, and folds each agent's log lines into
 * typed events and a status per device.
 */
export async function createFleet(opts: FleetOptions): Promise<Fleet> {
  const runtime = opts.runtime;
  const rebootDelay = opts.rebootDelayMs ?? 1000;
  const backoffInitial = opts.backoff?.initialMs ?? 1000;
  const backoffMax = opts.backoff?.maxMs ?? 30_000;
  const maxCrashes = opts.maxCrashes ?? 5;
  const graceMs = opts.graceMs ?? 5000;
  const logLines = opts.logLines ?? 100;
  const devices = new Map<string, Dev>();
  const listeners = new Set<(e: DeviceEvent) => void>();
  let closed = false;

  // one fleet per device folder, held until close()
  const lock: FolderLock = opts.folderLock === undefined ? lockDeviceFolder(opts.devicesDir, opts.owner ?? `a fleet of process ${process.pid}`) : { release: () => undefined };
  try {
    if (!opts.prepared) await runtime.prepare?.();
  } catch (e) {
    lock.release();
    throw e;
  }
  const ramp = createRamp({ ...opts.ramp, start: (id) => void boot(id) });

  function track(id: string, meta?: DeviceMeta): Dev {
    const m = meta ?? readDeviceMeta(join(opts.devicesDir, id), id);
    const status: DeviceStatus = { id, runtime: runtime.name, run: 'stopped', phase: 'offline', boots: 0, crashes: 0 };
    if (m?.cohort) status.cohort = m.cohort;
    if (m?.tags) status.tags = [...m.tags];
    const d: Dev = { status, joined: false, dir: join(opts.devicesDir, id), wanted: false, busy: false, consecutiveCrashes: 0, rebootsWithoutJoin: 0, everJoined: false, lines: [], stderrHead: [] };
    devices.set(id, d);
    opts.recorder?.device(status);
    return d;
  }

  try {
    if (opts.ids) for (const id of opts.ids) track(id);
    else for (const d of listDevices(opts.devicesDir)) track(d.meta.id, d.meta);
  } catch (e) {
    lock.release();
    throw e;
  }

  function emit(d: Dev, kind: DeviceEventKind, data?: DeviceEvent['data'], line?: string): void {
    const e: DeviceEvent = { at: Date.now(), id: d.status.id, kind, ...(data === undefined ? {} : { data }), ...(line === undefined ? {} : { line }) };
    reduceDevice(d, e);
    if (kind === 'connected') {
      d.everJoined = true;
      d.consecutiveCrashes = 0;
      d.rebootsWithoutJoin = 0;
      ramp.settled(d.status.id);
    }
    if (kind === 'installed') readInstalled(d);
    if (d.removed) return;
    opts.recorder?.event(e);
    opts.recorder?.device(d.status);
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // a listener's failure must not stop the fleet
      }
    }
  }

  /** Version and release as the env says (peridio_vsn_current / peridio_rel_current). */
  function readInstalled(d: Dev): void {
    try {
      const vars = readDeviceEnv(d.dir);
      const version = vars.get('peridio_vsn_current');
      const release = vars.get('peridio_rel_current');
      if (version) d.status.version = version;
      if (release) d.status.release = release;
    } catch {
      // an unreadable env shows up when the agent starts
    }
  }

  function setRun(d: Dev, run: DeviceStatus['run']): void {
    d.status.run = run;
    if (run === 'failed' || run === 'stopped' || run === 'no-network') ramp.settled(d.status.id);
    if (!d.removed) opts.recorder?.device(d.status);
  }

  function fail(d: Dev, reason: string): void {
    d.wanted = false;
    d.status.error = reason;
    setRun(d, 'failed');
    emit(d, 'failed', { reason });
  }

  function later(d: Dev, ms: number): void {
    clearTimeout(d.timer);
    d.timer = setTimeout(() => {
      d.timer = undefined;
      void boot(d.status.id);
    }, ms);
  }

  function onLine(d: Dev, raw: string, stream: 'stdout' | 'stderr'): void {
    // whatever a device prints (a real peridiod, a tool's stderr) is shown in terminals: no escape sequences
    const kept = raw.length > MAX_LINE_CHARS ? cutUnits(raw, MAX_LINE_CHARS) : raw;
    const cut = kept === raw ? raw : `${kept}… (${raw.length - kept.length} more characters)`;
    // a copy, so a kept line does not hold the whole raw text alive
    const line = escapeControls(cut === raw ? raw : Buffer.from(cut, 'utf16le').toString('utf16le'));
    d.lines.push(line);
    if (d.lines.length > logLines) d.lines.splice(0, d.lines.length - logLines);
    if (stream === 'stderr' && line.trim() !== '' && d.stderrHead.length < 3) d.stderrHead.push(line.trim());
    const parsed = parseLogLine(line);
    if (!parsed) return;
    emit(d, parsed.kind, parsed.data, line);
  }

  async function boot(id: string): Promise<void> {
    const d = devices.get(id);
    if (!d || closed || !d.wanted || d.busy) return;
    d.busy = true;
    const run = (async () => {
      try {
        await bootOnce(d);
      } catch (e) {
        fail(d, `orchestrator: ${firstLine(e)}`);
      } finally {
        d.busy = false;
      }
    })();
    d.booting = run;
    await run;
    if (d.booting === run) delete d.booting;
  }

  async function bootOnce(d: Dev): Promise<void> {
    const s = d.status;
    delete d.asked;
    d.stderrHead = [];
    s.boots++;
    setRun(d, 'starting');
    delete s.error;
    let booted: ReturnType<typeof virtualBoot>;
    try {
      booted = virtualBoot(d.dir);
    } catch (e) {
      return fail(d, `boot: ${firstLine(e)}`);
    }
    readInstalled(d);
    if (booted) {
      emit(d, 'booted', { slot: booted.slot ?? undefined, outcome: booted.outcome, health: booted.health ?? undefined, reason: booted.reason });
      if (booted.outcome === 'no-bootable-slot') return fail(d, `boot: no bootable slot (${booted.reason})`);
      if (booted.health === 'crash') {
        // the OS in this slot dies at start: the board resets and U-Boot counts the boot
        return crashed(d, { reason: `slot ${booted.slot} crashed at boot` });
      }
      if (booted.health === 'no-network') {
        setRun(d, 'no-network');
        s.lastLog = `slot ${booted.slot} has no network`;
        return;
      }
    }
    let running: RunningDevice;
    try {
      running = await runtime.start({ id: s.id, deviceDir: d.dir, env: { ...opts.env }, onLine: (line, stream) => onLine(d, line, stream) });
    } catch (e) {
      return fail(d, firstLine(e));
    }
    d.running = running;
    if (!d.wanted || closed) {
      await running.stop(graceMs);
    } else {
      setRun(d, 'running');
      emit(d, 'started', { boot: s.boots });
    }
    const exit = await running.exit;
    delete d.running;
    onExit(d, exit);
  }

  function crashed(d: Dev, data: DeviceEvent['data']): void {
    d.status.crashes++;
    d.consecutiveCrashes++;
    setRun(d, 'crashed');
    emit(d, 'crashed', data);
    if (!d.everJoined && d.consecutiveCrashes >= maxCrashes) {
      return fail(d, `crashed ${d.consecutiveCrashes} times in a row without connecting (last: ${String(data?.['reason'] ?? data?.['code'] ?? '')})`);
    }
    later(d, Math.min(backoffMax, backoffInitial * 2 ** (d.consecutiveCrashes - 1)));
  }

  function onExit(d: Dev, exit: { code: number | null; signal?: string | null }): void {
    const data = { code: exit.code ?? undefined, signal: exit.signal ?? undefined };
    const asked = d.asked;
    delete d.asked;
    if (closed || !d.wanted) {
      setRun(d, 'stopped');
      emit(d, 'exited', data);
      return;
    }
    if (asked === 'reboot' || exit.code === REBOOT_EXIT_CODE) {
      // a real board in a reboot loop keeps rebooting; here the loop slows down once it has gone
      // on for a while without the agent connecting, instead of restarting it at 1 Hz for ever
      d.rebootsWithoutJoin++;
      const beyond = d.rebootsWithoutJoin - FREE_REBOOTS;
      const delay = beyond <= 0 ? rebootDelay : Math.max(rebootDelay, Math.min(backoffMax, backoffInitial * 2 ** (beyond - 1)));
      setRun(d, 'rebooting');
      emit(d, 'exited', { ...data, reboot: true, ...(beyond > 0 ? { delayMs: delay } : {}) });
      d.status.phase = 'rebooting';
      later(d, delay);
      return;
    }
    if (asked !== 'kill' && exit.code === 0) {
      // the agent ended on its own terms (SIGTERM from outside)
      d.wanted = false;
      setRun(d, 'stopped');
      emit(d, 'exited', data);
      return;
    }
    if (asked !== 'kill' && exit.code === 1 && !d.joined) {
      // vfleet-agent's "cannot start" (identity, config): restarting would not help
      const why = d.stderrHead.length > 0 ? d.stderrHead.join(' ') : d.status.lastLog;
      return fail(d, `exit 1 before connecting: ${why ?? 'no output'}`.slice(0, 300));
    }
    crashed(d, { ...data, reason: asked === 'kill' ? 'killed' : `exit ${exit.code ?? exit.signal}` });
  }

  function select(sel: DeviceSelector): Dev[] {
    if ('all' in sel) return [...devices.values()];
    if ('tag' in sel) return [...devices.values()].filter((d) => d.status.tags?.includes(sel.tag));
    const unknown = sel.ids.filter((id) => !devices.has(id));
    if (unknown.length > 0) throw new VfleetError('VFLEET_WORKSPACE', `no device ${unknown.join(', ')} in this fleet (${devices.size} devices in ${opts.devicesDir})`);
    return sel.ids.map((id) => devices.get(id) as Dev);
  }

  function startDevs(list: Dev[]): void {
    const ids: string[] = [];
    for (const d of list) {
      if (d.wanted && (d.busy || d.timer || ramp.isQueued(d.status.id))) continue;
      d.wanted = true;
      d.consecutiveCrashes = 0;
      if (d.busy || d.timer) continue;
      ids.push(d.status.id);
    }
    ramp.push(ids);
  }

  async function stopDev(d: Dev, how: 'stop' | 'kill'): Promise<void> {
    d.wanted = false;
    ramp.remove([d.status.id]);
    clearTimeout(d.timer);
    d.timer = undefined;
    if (d.running) {
      d.asked = how;
      await (how === 'kill' ? d.running.kill() : d.running.stop(graceMs));
    } else if (!d.busy && d.status.run !== 'failed') {
      setRun(d, 'stopped');
      d.status.phase = 'offline';
    }
    // a start in flight ends with a stop (bootOnce checks `wanted`): done when that boot is
    const booting = d.booting;
    if (booting !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([booting, new Promise<void>((r) => (timer = setTimeout(r, graceMs + BOOT_SETTLE_MS)))]);
      clearTimeout(timer);
    }
  }

  async function rebootDev(d: Dev): Promise<void> {
    if (d.status.run === 'no-network') return void later(d, rebootDelay);
    if (!d.running) return;
    if (d.joined && opts.requestReboot && (await opts.requestReboot(d.status.id))) return;
    d.asked = 'reboot';
    await d.running.stop(graceMs);
  }

  async function nextIds(count: number, prefix: string): Promise<string[]> {
    const used = new Set([...devices.keys(), ...listDevices(opts.devicesDir).map((d) => d.meta.id)]);
    const numbered = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`);
    let n = 0;
    for (const id of used) {
      const m = numbered.exec(id);
      if (m) n = Math.max(n, Number(m[1]));
    }
    return Array.from({ length: count }, (_, i) => checkDeviceId(`${prefix}-${String(n + 1 + i).padStart(4, '0')}`, 'add'));
  }

  const fleet: Fleet = {
    runtime: runtime.name,
    ...(opts.backend ? { backend: opts.backend } : {}),
    status: (id) => devices.get(id)?.status,
    drained: () => ramp.drained(),
    async devices() {
      return [...devices.values()].map((d) => ({ ...d.status })).sort((a, b) => a.id.localeCompare(b.id));
    },
    async summary() {
      return summarize([...devices.values()].map((d) => d.status));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async logs(id, o) {
      const d = select({ ids: [id] })[0] as Dev;
      return d.lines.slice(-(o?.limit ?? logLines));
    },
    async add(count, o) {
      const g = opts.generate;
      if (!g) throw new VfleetError('VFLEET_USAGE', 'add: this fleet was started without device generation settings');
      if (!Number.isInteger(count) || count < 1 || count > MAX_ADD) throw new VfleetError('VFLEET_USAGE', `add: count ${count} must be a whole number from 1 to ${MAX_ADD}`);
      checkTags(o?.tags ?? [], 'add');
      // the same host ceilings as at start, for the fleet it would become
      const preflight = await runtime.preflight(devices.size + count);
      if (!preflight.ok) throw new VfleetError('VFLEET_USAGE', `add: ${count} more ${runtime.name} device(s) (${devices.size + count} in all): ${preflight.problems.join('; ')}`);
      const ids = await nextIds(count, g.prefix ?? 'EI-ML');
      const cohort = o?.cohort ?? g.cohort;
      const result = await generateDevices({
        home: g.home, out: opts.devicesDir, cohort, env: g.env ?? 'file', diskBytes: g.diskBytes ?? 0, force: false,
        specs: ids.map((id) => ({ id, cohort, tags: o?.tags ?? [], target: g.target ?? 'arm64-v8' })),
        ...(g.deviceApi === undefined ? {} : { deviceApi: g.deviceApi }),
        ...(g.deviceApiCa === undefined ? {} : { deviceApiCa: g.deviceApiCa }),
      });
      if (result.failed.length > 0) throw new VfleetError('VFLEET_IO', `add: ${result.failed.map((f) => `${f.id}: ${f.error}`).join('; ')}`);
      const added = ids.map((id) => track(id));
      if (!closed) startDevs(added);
      return ids;
    },
    async start(sel) {
      startDevs(select(sel));
    },
    async stop(sel) {
      await Promise.all(select(sel).map((d) => stopDev(d, 'stop')));
    },
    async kill(sel) {
      await Promise.all(
        select(sel).map(async (d) => {
          if (!d.running) return;
          d.asked = 'kill';
          await d.running.kill();
        }),
      );
    },
    async reboot(sel) {
      await Promise.all(select(sel).map(rebootDev));
    },
    async remove(sel) {
      const list = select(sel);
      for (const d of list) d.removed = true;
      await Promise.all(list.map((d) => stopDev(d, 'stop')));
      const ids = list.map((d) => d.status.id);
      const onDisk = new Set(listDevices(opts.devicesDir).map((x) => x.meta.id));
      removeDevices(opts.devicesDir, ids.filter((id) => onDisk.has(id)));
      for (const id of ids) {
        devices.delete(id);
        opts.recorder?.forget(id);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      ramp.close();
      await Promise.all([...devices.values()].map((d) => stopDev(d, 'stop')));
      // a boot in progress finishes with a stop (bootOnce checks `closed`)
      const end = Date.now() + graceMs + 2000;
      while ([...devices.values()].some((d) => d.busy) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      opts.recorder?.close();
      lock.release();
    },
  };
  opts.signal?.addEventListener('abort', () => void fleet.close(), { once: true });
  if (opts.autostart !== false) startDevs([...devices.values()]);
  return fleet;
}
