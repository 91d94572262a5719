// Test support: an mTLS node:https server with the socket attached, and a raw `ws` client with a frame queue.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import { createPhoenixSocketServer } from './server.js';
import type { KeyPair, TestPki } from './test-pki.js';
import type { PhoenixSocketOptions, PhoenixSocketServer, SocketEvent, SocketIdentity } from './types.js';

export interface Harness {
  server: Server;
  socket: PhoenixSocketServer;
  events: SocketEvent[];
  authenticated: string[];
  /** `wss://127.0.0.1:<port>` */
  origin: string;
  stop(): Promise<void>;
}

/** CN "stranger" is refused by the harness's authenticate; every other CN is device `dev-<CN>`. */
export function identityFor(cn: string): SocketIdentity | null {
  return cn === 'stranger' ? null : { deviceUuid: `dev-${cn}`, identifier: cn };
}

export async function startHarness(pki: TestPki, opts: Partial<PhoenixSocketOptions> = {}): Promise<Harness> {
  const server = createServer({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requestCert: true, rejectUnauthorized: true });
  const events: SocketEvent[] = [];
  const authenticated: string[] = [];
  const socket = createPhoenixSocketServer({
    server,
    authenticate: (req) => {
      const cn = String((req.socket as TLSSocket).getPeerCertificate().subject.CN);
      authenticated.push(cn);
      return identityFor(cn);
    },
    onEvent: (e) => events.push(e),
    ...opts,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    socket,
    events,
    authenticated,
    origin: `wss://127.0.0.1:${port}`,
    async stop() {
      await socket.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Frame = [string | null, string | null, string, string, unknown];

/** A raw client that queues received frames and close codes. */
export class RawClient {
  readonly ws: WebSocket;
  private readonly frames: Frame[] = [];
  private waiting: ((f: Frame) => void) | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, ca: string, client?: KeyPair) {
    this.ws = new WebSocket(url, { ca, ...(client === undefined ? {} : { cert: client.cert, key: client.key }) });
    this.ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      const w = this.waiting;
      this.waiting = undefined;
      if (w === undefined) this.frames.push(frame);
      else w(frame);
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += String(chunk)));
        res.on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${body.trim()}`)));
      });
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  send(frame: Frame | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame from the server (fails the test after `ms`). */
  next(ms = 2000): Promise<Frame> {
    const queued = this.frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame within ${ms} ms`)), ms);
      this.waiting = (f) => {
        clearTimeout(timer);
        resolve(f);
      };
    });
  }

  /** Sends a frame and returns the next one received. */
  async call(frame: Frame | string): Promise<Frame> {
    this.send(frame);
    return this.next();
  }
}
