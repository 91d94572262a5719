import { createConnection, type Socket } from 'node:net';
import { VfleetError, type VfleetErrorCode } from '@vfleet/core';
import type { DeviceEvent, DeviceSelector, DeviceStatus, FleetHandle, FleetSummary } from '../types.js';
import type { Method, Response, SupervisorInfo } from './protocol.js';
import { supervisorPaths } from './paths.js';

/** A FleetHandle behind a supervisor's control socket, plus what only a remote handle has. */
export interface RemoteFleet extends FleetHandle {
  info: SupervisorInfo;
  /** Asks the supervisor to stop the fleet (and its backend) and exit. */
  shutdown(): Promise<void>;
  /** Resolves when the connection ends (the supervisor went away or close() was called). */
  closed: Promise<void>;
}

const CODES: ReadonlySet<string> = new Set<VfleetErrorCode>(['VFLEET_USAGE', 'VFLEET_WORKSPACE', 'VFLEET_IO', 'VFLEET_CONFIG_INVALID']);

/** Connects to the supervisor of `home`; fails with one clear line when none answers. */
export async function connectFleet(home: string, opts: { socket?: string } = {}): Promise<RemoteFleet> {
  const path = opts.socket ?? supervisorPaths(home).socket;
  const sock: Socket = await new Promise((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(new VfleetError('VFLEET_IO', `no fleet supervisor answers on ${path} (${e.code ?? e.message}): start one with vfleet up`, { cause: e })),
    );
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(e: DeviceEvent) => void>();
  let ended = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let buffer = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') continue;
      let msg: Response | { event: DeviceEvent } | { dropped: number };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        continue;
      }
      if ('event' in msg) {
        for (const l of listeners) l(msg.event);
      } else if ('ok' in msg && msg.id !== null) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (!p) continue;
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new VfleetError(CODES.has(msg.error.code) ? (msg.error.code as VfleetErrorCode) : 'VFLEET_IO', msg.error.message));
      }
    }
  });
  const end = () => {
    if (ended) return;
    ended = true;
    for (const p of pending.values()) p.reject(new VfleetError('VFLEET_IO', `the fleet supervisor on ${path} went away`));
    pending.clear();
    resolveClosed();
  };
  sock.on('close', end);
  sock.on('error', end);

  function call<T>(method: Method, params?: unknown): Promise<T> {
    if (ended) return Promise.reject(new VfleetError('VFLEET_IO', `the fleet supervisor on ${path} went away`));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      sock.write(JSON.stringify(params === undefined ? { id, method } : { id, method, params }) + '\n');
    });
  }

  let info: SupervisorInfo;
  try {
    info = await call<SupervisorInfo>('info');
  } catch (e) {
    sock.destroy();
    // a supervisor dying under us: the same one line as no supervisor at all
    throw new VfleetError('VFLEET_IO', `no fleet supervisor answers on ${path} (it went away): start one with vfleet up`, { cause: e });
  }
  return {
    runtime: info.runtime,
    info,
    ...(info.backend ? { backend: info.backend } : {}),
    closed,
    devices: () => call<DeviceStatus[]>('devices'),
    summary: () => call<FleetSummary>('summary'),
    subscribe(listener) {
      listeners.add(listener);
      if (listeners.size === 1) void call('subscribe').catch(() => undefined);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && !ended) void call('unsubscribe').catch(() => undefined);
      };
    },
    logs: (id, o) => call<string[]>('logs', { id, ...(o?.limit === undefined ? {} : { limit: o.limit }) }),
    add: (count, o) => call<string[]>('add', { count, ...o }),
    start: (sel: DeviceSelector) => call<void>('start', sel),
    stop: (sel: DeviceSelector) => call<void>('stop', sel),
    reboot: (sel: DeviceSelector) => call<void>('reboot', sel),
    kill: (sel: DeviceSelector) => call<void>('kill', sel),
    remove: (sel: DeviceSelector) => call<void>('remove', sel),
    async shutdown() {
      await call('shutdown');
      await closed;
    },
    async close() {
      sock.end();
      await closed;
    },
  };
}
