// One TLS session per device, shared by its REST and socket connections: after the first full mTLS
// handshake every later connection resumes it (no certificate chain sent, parsed or verified on
// either side), which halves the handshake CPU and leaves a lighter connection behind.
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** How long a connection waits for the session of the device's handshake in flight before making its own. */
export const SESSION_WAIT_MS = 3_000;

export interface SessionShare {
  /** The latest session the server issued to this device (undefined until one arrives). */
  ticket: Buffer | undefined;
  /** Set while the device's first handshake runs: later connections wait for its session. */
  inflight: Promise<void> | undefined;
}

export const createSessionShare = (): SessionShare => ({ ticket: undefined, inflight: undefined });

/** Settles when `socket` delivers a session, closes, or `waitMs` passes, whichever is first. */
function firstSession(share: SessionShare, socket: TLSSocket, waitMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('session', done);
      socket.off('close', done);
      share.inflight = undefined;
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    timer.unref();
    socket.once('session', done);
    socket.once('close', done);
  });
}

export interface DeviceConnectOptions {
  /** Resolved options of the caller (host, port, …); a `path` (the HTTP path, never a Unix socket here) is dropped. */
  options: ConnectionOptions;
  /** The device's identity and trust (from tlsConnectOptions). */
  identity: ConnectionOptions;
  share: SessionShare;
  /** When aborted before the connection starts, the callback gets the abort reason instead of a socket. */
  signal?: AbortSignal | undefined;
  waitMs?: number;
}

/**
 * tls.connect for one of the device's connections, in the `createConnection(options, callback)` shape
 * http agents and ws take: resumes the device's latest session and keeps the ones the server issues.
 * While the device's first handshake is in flight, a second connection waits for its session.
 */
export function connectDevice(o: DeviceConnectOptions, callback: (err: Error | null, socket?: TLSSocket) => void): void {
  const { share } = o;
  const start = (): void => {
    if (o.signal?.aborted) {
      callback(o.signal.reason instanceof Error ? o.signal.reason : new Error('aborted'));
      return;
    }
    const { path: _unused, ...options } = o.options;
    const ticket = share.ticket;
    const socket = connect({ ...options, ...o.identity, ...(ticket === undefined ? {} : { session: ticket }) });
    if (ticket === undefined && share.inflight === undefined) share.inflight = firstSession(share, socket, o.waitMs ?? SESSION_WAIT_MS);
    socket.on('session', (session: Buffer) => {
      share.ticket = session;
    });
    // a refused handshake may be about the session: the next connection starts afresh
    socket.once('error', () => {
      if (share.ticket === ticket && !socket.isSessionReused()) share.ticket = undefined;
    });
    callback(null, socket);
  };
  if (share.ticket === undefined && share.inflight !== undefined) void share.inflight.then(start);
  else start();
}
