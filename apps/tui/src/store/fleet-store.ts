import type { DeviceEvent, DeviceStatus, FleetHandle, FleetSummary } from '@vfleet/simulator';
import { summarize } from './summary.js';
import { MAX_TEXT, shorten } from '../format.js';

export interface RolloutSample {
  at: number;
  total: number;
  versions: Record<string, number>;
}

export interface FleetSnapshot {
  /** Every device, in the fleet's id order. */
  devices: DeviceStatus[];
  summary: FleetSummary;
  /** One sample per refresh that saw the fleet, oldest first. */
  history: RolloutSample[];
  /** Events other than plain log lines, oldest first. */
  events: DeviceEvent[];
  /** How many events were ever added to `events` (a feed scrolled up stays on what it shows). */
  appended: number;
  /** Set while the fleet cannot be reached; the store keeps retrying. */
  banner?: string;
  /** False until the first answer from the fleet. */
  loaded: boolean;
  refreshedAt: number;
  /** Bumped on every published change. */
  generation: number;
}

export interface FleetStoreOptions {
  /** The UI re-renders at most this often (default 1000 ms). */
  refreshMs?: number;
  /** Ask the fleet for a fresh snapshot at least this often even without events (default 5000 ms). */
  resyncMs?: number;
  maxEvents?: number;
  maxHistory?: number;
  now?: () => number;
}

export interface FleetStore {
  getSnapshot(): FleetSnapshot;
  /** Called at most once per refresh with the new snapshot (useSyncExternalStore shape). */
  subscribe(listener: () => void): () => void;
  /** Every event of one device (log lines included), delivered in batches once per refresh. */
  watch(id: string, listener: (events: DeviceEvent[]) => void): () => void;
  start(): void;
  stop(): void;
  /** Runs one refresh now (tests, and after an action the user is waiting to see). */
  refresh(): Promise<void>;
}

const MAX_PENDING = 20_000;

/** An event as the feed keeps it: text longer than any terminal shows is cut, so 1000 kept events stay small. */
function kept(e: DeviceEvent): DeviceEvent {
  let long = e.line !== undefined && e.line.length > MAX_TEXT;
  if (e.data) for (const v of Object.values(e.data)) if (typeof v === 'string' && v.length > MAX_TEXT) long = true;
  if (!long) return e;
  const data = e.data && Object.fromEntries(Object.entries(e.data).map(([k, v]) => [k, typeof v === 'string' ? shorten(v) : v]));
  return { ...e, ...(e.line === undefined ? {} : { line: shorten(e.line) }), ...(data === undefined ? {} : { data }) };
}

/**
 * Holds what the UI shows and batches the fleet's event stream: events are queued as they come,
 * and once per refresh the store asks the fleet for a snapshot (when something changed), folds the
 * queued events in and publishes one new snapshot. Fleet failures become a banner, never a throw.
 */
export function createFleetStore(fleet: FleetHandle, opts: FleetStoreOptions = {}): FleetStore {
  const refreshMs = opts.refreshMs ?? 1000;
  const resyncMs = opts.resyncMs ?? 5000;
  const maxEvents = opts.maxEvents ?? 1000;
  const maxHistory = opts.maxHistory ?? 600;
  const now = opts.now ?? Date.now;
  const listeners = new Set<() => void>();
  const watchers = new Map<string, Set<(events: DeviceEvent[]) => void>>();
  let pending: DeviceEvent[] = [];
  let dropped = 0;
  let dirty = true;
  let lastFetch = 0;
  let failures = 0;
  let nextAttempt = 0;
  let inflight: Promise<void> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let unsubscribe: (() => void) | undefined;
  let appended = 0;
  let snapshot: FleetSnapshot = { devices: [], summary: summarize([]), history: [], events: [], appended, loaded: false, refreshedAt: 0, generation: 0 };

  const onEvent = (e: DeviceEvent) => {
    dirty = true;
    pending.push(e);
    // the oldest go in one cut per MAX_PENDING events: shift() per event moved 20,000 entries each time
    if (pending.length >= 2 * MAX_PENDING) trimPending();
  };
  const trimPending = () => {
    if (pending.length <= MAX_PENDING) return;
    dropped += pending.length - MAX_PENDING;
    pending = pending.slice(pending.length - MAX_PENDING);
  };

  const publish = (next: Partial<FleetSnapshot>) => {
    snapshot = { ...snapshot, ...next, appended, generation: snapshot.generation + 1 };
    for (const l of [...listeners]) l();
  };

  const drainEvents = (): DeviceEvent[] | undefined => {
    if (pending.length === 0) return undefined;
    trimPending();
    const batch = pending;
    pending = [];
    if (watchers.size > 0) {
      const byId = new Map<string, DeviceEvent[]>();
      for (const e of batch) {
        if (!watchers.has(e.id)) continue;
        const list = byId.get(e.id) ?? [];
        list.push(e);
        byId.set(e.id, list);
      }
      for (const [id, list] of byId) for (const w of watchers.get(id) ?? []) w(list);
    }
    const shown: DeviceEvent[] = [];
    for (const e of batch) if (e.kind !== 'log') shown.push(kept(e));
    if (dropped > 0) {
      shown.push({ at: now(), id: '-', kind: 'error', data: { message: `${dropped} events dropped (the UI fell behind)` } });
      dropped = 0;
    }
    if (shown.length === 0) return undefined;
    appended += shown.length;
    const events = snapshot.events.concat(shown);
    return events.length > maxEvents ? events.slice(events.length - maxEvents) : events;
  };

  async function tick(force: boolean): Promise<void> {
    const t = now();
    const wantFetch = force || dirty || t - lastFetch >= resyncMs || snapshot.banner !== undefined || !snapshot.loaded;
    if (!wantFetch || (!force && t < nextAttempt)) {
      const events = drainEvents();
      if (events) publish({ events });
      return;
    }
    dirty = false;
    lastFetch = t;
    let devices: DeviceStatus[];
    try {
      devices = await fleet.devices();
    } catch (e) {
      failures++;
      const wait = Math.min(10_000, refreshMs * 2 ** Math.min(failures, 4));
      nextAttempt = now() + wait;
      dirty = true;
      const events = drainEvents();
      publish({ banner: `fleet unreachable: ${(e as Error).message} · retry ${failures} in ${Math.round(wait / 1000)}s`, ...(events ? { events } : {}) });
      return;
    }
    failures = 0;
    nextAttempt = 0;
    const summary = summarize(devices);
    const history = snapshot.history.concat({ at: t, total: summary.total, versions: summary.versions });
    if (history.length > maxHistory) history.splice(0, history.length - maxHistory);
    const events = drainEvents();
    const { banner: _gone, ...rest } = snapshot;
    snapshot = rest;
    publish({ devices, summary, history, loaded: true, refreshedAt: t, ...(events ? { events } : {}) });
  }

  const refresh = (force = true): Promise<void> => {
    // one fleet call at a time: a slow fleet slows the refresh, never the keyboard
    inflight ??= tick(force).finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  return {
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    watch(id, listener) {
      const set = watchers.get(id) ?? new Set();
      set.add(listener);
      watchers.set(id, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) watchers.delete(id);
      };
    },
    start() {
      if (timer) return;
      unsubscribe = fleet.subscribe(onEvent);
      void refresh();
      timer = setInterval(() => void refresh(false), refreshMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      unsubscribe?.();
      unsubscribe = undefined;
    },
    refresh,
  };
}
