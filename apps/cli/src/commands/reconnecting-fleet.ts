import type { DeviceEvent, FleetHandle, RemoteFleet } from '@vfleet/simulator';

/**
 * A FleetHandle over a supervisor's control socket that survives the supervisor going away: calls
 * fail (the TUI shows a banner) until a new connection succeeds, tried at most every `retryMs`;
 * event listeners carry over to the new connection.
 */
export function reconnectingFleet(first: RemoteFleet, connect: () => Promise<RemoteFleet>, retryMs = 2000): FleetHandle {
  const listeners = new Set<(e: DeviceEvent) => void>();
  const fanout = (e: DeviceEvent) => {
    for (const l of listeners) l(e);
  };
  let current: RemoteFleet | undefined;
  let connecting: Promise<RemoteFleet> | undefined;
  let lastTry = 0;
  let closed = false;
  const adopt = (f: RemoteFleet) => {
    current = f;
    f.subscribe(fanout);
    void f.closed.then(() => {
      if (current === f) current = undefined;
    });
    return f;
  };
  adopt(first);
  const get = (): Promise<RemoteFleet> => {
    if (current) return Promise.resolve(current);
    if (closed) return Promise.reject(new Error('closed'));
    if (connecting) return connecting;
    const wait = lastTry + retryMs - Date.now();
    if (wait > 0) return Promise.reject(new Error(`the fleet supervisor went away; reconnecting in ${Math.ceil(wait / 1000)} s`));
    lastTry = Date.now();
    connecting = connect()
      .then(adopt)
      .finally(() => {
        connecting = undefined;
      });
    return connecting;
  };
  return {
    runtime: first.runtime,
    ...(first.backend ? { backend: first.backend } : {}),
    devices: async () => (await get()).devices(),
    summary: async () => (await get()).summary(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    logs: async (id, opts) => (await get()).logs(id, opts),
    add: async (count, opts) => (await get()).add(count, opts),
    start: async (sel) => (await get()).start(sel),
    stop: async (sel) => (await get()).stop(sel),
    reboot: async (sel) => (await get()).reboot(sel),
    kill: async (sel) => (await get()).kill(sel),
    remove: async (sel) => (await get()).remove(sel),
    async close() {
      closed = true;
      await current?.close();
    },
  };
}
