// A FleetHandle over in-memory test data, for render tests: records calls, emits events on demand.
import type { DeviceEvent, DeviceSelector, DeviceStatus, FleetHandle, FleetSummary } from '@vfleet/simulator';

export interface FakeFleet extends FleetHandle {
  calls: Array<{ method: string; arg: unknown }>;
  state: Map<string, DeviceStatus>;
  emit(event: DeviceEvent): void;
  set(id: string, patch: Partial<DeviceStatus>): void;
  /** Makes devices() reject (an unreachable supervisor) until called with false. */
  fail(on: boolean): void;
  logLines: Map<string, string[]>;
}

export function fakeDevice(id: string, patch: Partial<DeviceStatus> = {}): DeviceStatus {
  return { id, runtime: 'inproc', run: 'running', phase: 'online', boots: 1, crashes: 0, version: '1.1.0', slot: 'a', tags: ['JITP'], ...patch };
}

export function createFakeFleet(devices: DeviceStatus[]): FakeFleet {
  const state = new Map(devices.map((d) => [d.id, d]));
  const listeners = new Set<(e: DeviceEvent) => void>();
  const calls: FakeFleet['calls'] = [];
  const logLines = new Map<string, string[]>();
  let failing = false;
  const ids = (sel: DeviceSelector) => ('ids' in sel ? sel.ids : 'all' in sel ? [...state.keys()] : [...state.values()].filter((d) => d.tags?.includes(sel.tag)).map((d) => d.id));
  const record = (method: string) => async (sel: DeviceSelector) => {
    calls.push({ method, arg: ids(sel) });
  };
  return {
    runtime: 'inproc',
    calls,
    state,
    logLines,
    async devices() {
      if (failing) throw new Error('connect ECONNREFUSED fleet.sock');
      return [...state.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    async summary(): Promise<FleetSummary> {
      return { total: state.size, byRun: {}, byPhase: {}, versions: {} };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async logs(id, opts) {
      calls.push({ method: 'logs', arg: id });
      return (logLines.get(id) ?? []).slice(-(opts?.limit ?? 100));
    },
    async add(count) {
      calls.push({ method: 'add', arg: count });
      const start = state.size + 1;
      const added = Array.from({ length: count }, (_, i) => `EI-ML-${String(start + i).padStart(4, '0')}`);
      for (const id of added) state.set(id, fakeDevice(id, { run: 'starting', phase: 'offline' }));
      return added;
    },
    start: record('start'),
    stop: record('stop'),
    reboot: record('reboot'),
    kill: record('kill'),
    async remove(sel) {
      calls.push({ method: 'remove', arg: ids(sel) });
      for (const id of ids(sel)) state.delete(id);
    },
    async close() {
      calls.push({ method: 'close', arg: undefined });
    },
    emit(event) {
      for (const l of listeners) l(event);
    },
    set(id, patch) {
      const d = state.get(id);
      if (d) state.set(id, { ...d, ...patch });
    },
    fail(on) {
      failing = on;
    },
  };
}

/** n devices EI-ML-0001…, the first two canaries. */
export function fakeFleetOf(n: number): FakeFleet {
  return createFakeFleet(Array.from({ length: n }, (_, i) => fakeDevice(`EI-ML-${String(i + 1).padStart(4, '0')}`, i < 2 ? { tags: ['canary'] } : {})));
}
