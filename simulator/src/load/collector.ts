import type { DeviceEvent, DeviceStatus } from '../fleet/types.js';
import { Sketch } from './sketch.js';
import { COUNTERS, HISTOGRAMS, type CounterName, type ErrorKind, type HistogramName, type MetricValues } from './thresholds.js';

/** Error kinds, from the event and the agent's own wording (the most specific first). */
export function errorKind(e: DeviceEvent): ErrorKind {
  if (e.kind === 'failed') return 'failed';
  if (e.kind === 'crashed') return 'crash';
  const text = `${String(e.data?.['message'] ?? '')} ${e.line ?? ''}`;
  if (/Integrity verification|signature|untrusted/i.test(text)) return 'verify';
  if (/Stream Downloader|download|http_error|ECONNRE|socket hang up|truncat|premature/i.test(text)) return 'download';
  if (/\[Installer|\[Installer fwup\]/.test(text) || e.data?.['binary'] !== undefined) return 'install';
  if (/finished with errors|Error processing step|Step exited abnormally/i.test(text)) return 'plan';
  if (/Cloud Server|Non 200/.test(text)) return 'poll';
  if (/Client\] error|socket|Tunnel/i.test(text)) return 'connection';
  if (/identity|certificate|private_key|KV/i.test(text)) return 'config';
  return 'other';
}

interface DeviceTrack {
  /** When the runner asked for a cold start (ramp or fault `start`). */
  startAt?: number;
  rebootAt?: number;
  checkingAt?: number;
  downloadAt?: number;
  installAt?: number;
  updatedAt?: number;
  joined: boolean;
  /** The runner killed it: the next crash is injected, not an error. */
  killed: boolean;
  /** Going down (asked to, or rebooting for an update): work it aborts on the way is not an error. */
  stopping: boolean;
  /** The current update already counted its error; the plan's follow-up lines are the same failure. */
  planErrored: boolean;
}

/**
 * Turns fleet events into the load metrics: histograms for connect, poll latency, download
 * throughput, install, reboot-to-online and time-to-update, counters, and errors by kind.
 */
export class MetricsCollector {
  readonly histograms = Object.fromEntries(Object.keys(HISTOGRAMS).map((k) => [k, new Sketch()])) as Record<HistogramName, Sketch>;
  readonly counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<CounterName, number>;
  readonly errorsByKind: Record<string, number> = {};
  /** Last few error lines per kind, for the report. */
  readonly errorSamples: Array<{ at: number; id: string; kind: string; message: string }> = [];
  private readonly devices = new Map<string, DeviceTrack>();
  /** Release enabled (ms since epoch): the start of every time-to-update. */
  enabledAt: number | undefined;
  targetVersion: string | undefined;
  /** Bytes one device downloads for the release (its binaries for the device's target), when known. */
  releaseBytes: number | undefined;
  firstUpdateAt: number | undefined;
  lastUpdateAt: number | undefined;

  constructor(private readonly status: (id: string) => DeviceStatus | undefined) {}

  private track(id: string): DeviceTrack {
    let t = this.devices.get(id);
    if (!t) {
      t = { joined: false, killed: false, stopping: false, planErrored: false };
      this.devices.set(id, t);
    }
    return t;
  }

  /** The runner asked the fleet to start this device. */
  startRequested(id: string, at: number): void {
    const t = this.track(id);
    t.startAt = at;
  }

  provisioned(count: number): void {
    this.counters.devices += count;
  }

  /** The runner killed this device on purpose. */
  injectedKill(id: string): void {
    const t = this.track(id);
    t.killed = true;
    t.stopping = true;
  }

  /** Teardown: whatever the devices abort on their way down is not an error. */
  stoppingAll(): void {
    for (const t of this.devices.values()) t.stopping = true;
  }

  /** The runner asked this device to stop or reboot. */
  injectedStop(id: string): void {
    this.track(id).stopping = true;
  }

  error(id: string, kind: ErrorKind, message: string, at = Date.now()): void {
    this.counters.errors++;
    this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
    // the first errors usually say why, the last ones how it ended: keep 100 of each
    this.errorSamples.push({ at, id, kind, message: message.slice(0, 300) });
    if (this.errorSamples.length > 200) this.errorSamples.splice(100, 1);
  }

  updatedCount(): number {
    return this.counters.updated;
  }

  onEvent(e: DeviceEvent): void {
    const t = this.track(e.id);
    switch (e.kind) {
      case 'started':
        t.joined = false;
        t.stopping = false;
        if (t.rebootAt === undefined) t.startAt ??= e.at;
        break;
      case 'connected':
        t.joined = true;
        this.counters.connects++;
        if (t.rebootAt !== undefined) {
          this.histograms.reboot_to_online.add(Math.max(0, e.at - t.rebootAt));
          delete t.rebootAt;
        } else if (t.startAt !== undefined) {
          this.histograms.connect.add(Math.max(0, e.at - t.startAt));
        }
        delete t.startAt;
        break;
      case 'disconnected':
        t.joined = false;
        break;
      case 'rebooting':
        t.rebootAt ??= e.at;
        t.stopping = true;
        break;
      case 'exited':
        t.joined = false;
        if (e.data?.['reboot'] === true) {
          t.rebootAt ??= e.at;
          this.counters.reboots++;
        }
        break;
      case 'crashed':
        t.joined = false;
        this.counters.crashes++;
        if (t.killed) t.killed = false;
        else this.error(e.id, 'crash', String(e.data?.['reason'] ?? 'crashed'), e.at);
        // the restart is a cold start
        t.startAt = e.at;
        delete t.rebootAt;
        break;
      case 'failed':
        t.joined = false;
        this.error(e.id, 'failed', String(e.data?.['reason'] ?? 'failed'), e.at);
        break;
      case 'checking':
        this.counters.polls++;
        t.checkingAt = e.at;
        break;
      case 'no-update':
      case 'update-available':
        if (e.kind === 'update-available') t.planErrored = false;
        if (t.checkingAt !== undefined) this.histograms.poll_latency.add(Math.max(0, e.at - t.checkingAt));
        delete t.checkingAt;
        break;
      case 'downloading':
        if (e.data?.['mode'] !== 'RESUME') t.downloadAt ??= e.at;
        break;
      case 'installing':
        t.installAt ??= e.at;
        break;
      case 'installed':
        this.finishDownload(t, e.at);
        if (t.installAt !== undefined) this.histograms.install.add(Math.max(0, e.at - t.installAt));
        delete t.installAt;
        break;
      case 'error': {
        const kind = errorKind(e);
        const message = String(e.data?.['message'] ?? e.line ?? 'error');
        if (kind === 'poll') delete t.checkingAt;
        if (t.stopping && /abort/i.test(message)) break;
        if (kind === 'plan' || kind === 'download' || kind === 'verify' || kind === 'install') {
          delete t.downloadAt;
          delete t.installAt;
          if (t.planErrored) break;
          t.planErrored = true;
        }
        this.error(e.id, kind, message, e.at);
        break;
      }
      default:
        break;
    }
    this.checkUpdated(e.id, t, e.at);
  }

  /** Download window: first download attempt → plan finished; bytes are the release's for one device. */
  private finishDownload(t: DeviceTrack, at: number): void {
    if (t.downloadAt !== undefined && this.releaseBytes !== undefined && at > t.downloadAt) {
      this.histograms.download_throughput.add(this.releaseBytes / ((at - t.downloadAt) / 1000));
    }
    delete t.downloadAt;
  }

  /** Counts a device as updated the first time it is joined and reports the target version. */
  checkUpdated(id: string, t = this.track(id), at = Date.now()): void {
    if (t.updatedAt !== undefined || this.enabledAt === undefined || this.targetVersion === undefined || !t.joined) return;
    if (this.status(id)?.version !== this.targetVersion) return;
    t.updatedAt = at;
    this.counters.updated++;
    this.histograms.time_to_update.add(Math.max(0, at - this.enabledAt));
    this.firstUpdateAt ??= at;
    this.lastUpdateAt = at;
  }

  /** Sweeps devices whose version changed without an event (e.g. read at boot). */
  sweep(ids: Iterable<string>, at = Date.now()): void {
    for (const id of ids) this.checkUpdated(id, this.track(id), at);
  }

  joinedCount(): number {
    let n = 0;
    for (const t of this.devices.values()) if (t.joined) n++;
    return n;
  }

  isJoined(id: string): boolean {
    return this.devices.get(id)?.joined ?? false;
  }

  values(durationSeconds: number, scalars: MetricValues['scalars']): MetricValues {
    return { histograms: this.histograms, counters: this.counters, errorsByKind: this.errorsByKind, devices: this.counters.devices, durationSeconds, scalars };
  }
}
