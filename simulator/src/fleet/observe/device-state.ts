import type { DeviceEvent, DevicePhase, DeviceStatus, FleetSummary } from '../types.js';

/** What the reducer keeps beside the public status: whether the device channel is joined. */
export interface Tracked {
  status: DeviceStatus;
  joined: boolean;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Folds one event into a device's status (phase, progress, tunnel, last line, error). */
export function reduceDevice(t: Tracked, e: DeviceEvent): void {
  const s = t.status;
  s.lastSeen = e.at;
  if (e.line !== undefined) s.lastLog = e.line.replace(/^\d\d:\d\d:\d\d\.\d{3} /, '').slice(0, 300);
  const idle = (): DevicePhase => (t.joined ? 'online' : 'connecting');
  const setPhase = (p: DevicePhase) => {
    s.phase = p;
    if (p !== 'downloading' && p !== 'installing') delete s.progress;
  };
  switch (e.kind) {
    case 'started':
      t.joined = false;
      setPhase('connecting');
      delete s.tunnel;
      delete s.error;
      break;
    case 'exited':
    case 'crashed':
    case 'failed':
      t.joined = false;
      setPhase('offline');
      delete s.tunnel;
      break;
    case 'booted': {
      const slot = e.data?.['slot'];
      if (slot === 'a' || slot === 'b') s.slot = slot;
      break;
    }
    case 'connected':
      t.joined = true;
      if (s.phase === 'connecting' || s.phase === 'offline' || s.phase === 'error') setPhase('online');
      break;
    case 'disconnected':
      t.joined = false;
      if (s.phase === 'online' || s.phase === 'checking') setPhase('connecting');
      break;
    case 'checking':
      if (s.phase !== 'queued' && s.phase !== 'downloading' && s.phase !== 'installing') setPhase('checking');
      break;
    case 'no-update':
    case 'installed':
      setPhase(idle());
      break;
    case 'update-available':
      setPhase('downloading');
      break;
    case 'queued':
      setPhase('queued');
      break;
    case 'downloading':
    case 'installing': {
      setPhase(e.kind);
      const p = num(e.data?.['percent']);
      if (p !== undefined) s.progress = p;
      break;
    }
    case 'rebooting':
      setPhase('rebooting');
      break;
    case 'tunnel-up':
      s.tunnel = [str(e.data?.['tunnel']), str(e.data?.['interface'])].filter(Boolean).join(' ');
      break;
    case 'tunnel-down':
      delete s.tunnel;
      break;
    case 'error':
      setPhase('error');
      s.error = (str(e.data?.['message']) ?? e.line ?? 'error').slice(0, 300);
      break;
    case 'log':
      break;
  }
}

/** Counts by run state, phase and version. */
export function summarize(devices: Iterable<DeviceStatus>): FleetSummary {
  const out: FleetSummary = { total: 0, byRun: {}, byPhase: {}, versions: {} };
  for (const d of devices) {
    out.total++;
    out.byRun[d.run] = (out.byRun[d.run] ?? 0) + 1;
    out.byPhase[d.phase] = (out.byPhase[d.phase] ?? 0) + 1;
    if (d.version !== undefined) out.versions[d.version] = (out.versions[d.version] ?? 0) + 1;
  }
  return out;
}
