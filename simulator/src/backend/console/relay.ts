// A user's terminal ↔ a device's console channel, over a WebSocket on the admin API (protocol §6).
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { isUuid, parsePrn } from '@vfleet/core';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { PhoenixSocketServer, SocketEvent } from '../socket/index.js';
import type { Device, Store } from '../store/index.js';
import { describeTarget, requestUrl } from '../request-url.js';
import { CLOSE_DEVICE_GONE, CLOSE_TAKEN_OVER, CLOSE_TOO_SLOW, decodeUserMessage, type RelayMessage } from './messages.js';

/** `/api/v1/devices/<uuid | prn | identifier>/console/websocket[?takeover=1]` */
const PATH = /^\/api\/v1\/devices\/([^/]+)\/console\/websocket$/;
/**
 * Output queued for a client that does not read, or input queued for a device that does not: beyond
 * it the session ends rather than grow. Input is not dropped instead, as a shell would then run
 * whatever part of a paste got through.
 */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface ConsoleRelayOptions {
  /** The admin API server; the relay handles its `upgrade` requests for PATH. */
  server: Server;
  /** Checks the `Authorization` header (the admin bearer token). */
  authorized: (header: string | undefined) => boolean;
  store: Store;
  socket: PhoenixSocketServer;
}

export interface ConsoleRelay {
  /** Every device socket event: console `up` goes to the device's user session; leaving the console ends it. */
  onSocketEvent(e: SocketEvent): void;
  /** Device UUIDs with a user session attached. */
  sessions(): string[];
  close(): Promise<void>;
}

interface Session {
  ws: WebSocket;
  device: Device;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n` +
      `${status === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

function findDevice(store: Store, id: string): Device {
  let uuid: string | undefined;
  if (isUuid(id)) uuid = id.toLowerCase();
  else if (id.startsWith('prn:')) {
    try {
      uuid = parsePrn(id, 'device', 'device').uuid.toLowerCase();
    } catch {
      // not a device PRN: try it as an identifier below
    }
  }
  const matches = uuid !== undefined ? [store.devices.get(uuid)].filter((d) => d !== undefined) : store.devices.list({ identifier: id, limit: 2 });
  const device = matches[0];
  if (device === undefined) throw new Refusal(404, 'not_found', `no device ${JSON.stringify(id)} in the backend (expected its identifier, UUID or PRN)`);
  if (matches.length > 1) throw new Refusal(409, 'ambiguous', `device ${JSON.stringify(id)}: several products have a device with this identifier; use its UUID`);
  return device;
}

/**
 * Relays one user session per device: input → console `dn`, resize → `window_size`, restart →
 * `restart`, and the device's `up` → output. A second session is refused (409 console_busy) unless
 * it asks to take over (`?takeover=1`); the first one is then closed with CLOSE_TAKEN_OVER.
 */
export function attachConsoleRelay(options: ConsoleRelayOptions): ConsoleRelay {
  const { server, store, socket } = options;
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: 1024 * 1024 });
  const byDevice = new Map<string, Session>();
  let closing = false;

  const send = (s: Session, m: RelayMessage): void => {
    if (s.ws.readyState !== WebSocket.OPEN) return;
    if (s.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      end(s, CLOSE_TOO_SLOW, 'the terminal does not read its output; session closed');
      return;
    }
    s.ws.send(JSON.stringify(m));
  };

  function end(s: Session, code: number, reason: string): void {
    if (byDevice.get(s.device.uuid) === s) byDevice.delete(s.device.uuid);
    if (s.ws.readyState === WebSocket.OPEN || s.ws.readyState === WebSocket.CONNECTING) s.ws.close(code, reason.slice(0, 120));
  }

  const deviceGone = (s: Session, why: string): void => end(s, CLOSE_DEVICE_GONE, `device ${s.device.identifier} ${why}`);

  function check(req: IncomingMessage, url: URL, id: string): { device: Device; takeover: boolean } {
    if (!options.authorized(req.headers.authorization)) {
      throw new Refusal(401, 'unauthorized', 'missing or wrong bearer token (Authorization: Bearer <token> from the workspace admin-token file)');
    }
    for (const key of url.searchParams.keys()) {
      if (key !== 'takeover') throw new Refusal(400, 'unknown_field', `query.${key}: unknown parameter (accepted: takeover)`);
    }
    const takeover = url.searchParams.get('takeover');
    if (takeover !== null && takeover !== '1' && takeover !== 'true') throw new Refusal(400, 'invalid_value', 'query.takeover: expected 1 or true');
    const device = findDevice(store, id);
    if (socket.joinParams(device.uuid, 'console') === undefined) {
      if (socket.isOnline(device.uuid)) {
        throw new Refusal(409, 'console_unavailable', `device ${device.identifier} is connected but has not joined the console channel (remote_shell is off in its peridio.json)`);
      }
      throw new Refusal(409, 'device_offline', `device ${device.identifier} is offline (not connected to the backend)`);
    }
    if (byDevice.has(device.uuid) && takeover === null) {
      throw new Refusal(409, 'console_busy', `device ${device.identifier}: another session is attached to its console; take it over with ?takeover=1 (vfleet shell --takeover)`);
    }
    return { device, takeover: takeover !== null };
  }

  function open(ws: WebSocket, device: Device, takeover: boolean): void {
    const s: Session = { ws, device };
    const previous = byDevice.get(device.uuid);
    byDevice.set(device.uuid, s);
    if (previous !== undefined) end(previous, CLOSE_TAKEN_OVER, 'another session took over this console');
    store.recordEvent('console_session_open', device.uuid, { takeover });
    ws.on('message', (data, isBinary) => {
      if (byDevice.get(device.uuid) !== s) return;
      const m = isBinary ? 'frame: binary frames are not accepted; send JSON text frames' : decodeUserMessage(text(data));
      if (typeof m === 'string') return send(s, { type: 'error', message: m });
      if (socket.bufferedBytes(device.uuid) > MAX_BUFFERED_BYTES) {
        return end(s, CLOSE_TOO_SLOW, `device ${device.identifier} does not read its console input; session closed`);
      }
      const [event, payload] =
        m.type === 'input' ? ['dn', { data: m.data }] : m.type === 'resize' ? ['window_size', { height: m.height, width: m.width }] : ['restart', {}];
      if (!socket.push(device.uuid, 'console', event, payload)) deviceGone(s, 'left the console channel');
    });
    ws.on('error', () => undefined); // a broken client connection ends in 'close' below
    ws.on('close', () => {
      if (byDevice.get(device.uuid) === s) byDevice.delete(device.uuid);
      store.recordEvent('console_session_close', device.uuid, {});
    });
  }

  function onUpgrade(req: IncomingMessage, sock: Duplex, head: Buffer): void {
    // the HTTP server no longer watches an upgrade's socket: a reset must not throw
    sock.on('error', () => sock.destroy());
    const url = requestUrl(req.url, 'http://admin.invalid');
    const match = url === undefined ? null : PATH.exec(url.pathname);
    if (url === undefined || match === null) {
      // nobody else answers upgrades on this server
      if (server.listenerCount('upgrade') > 1) return;
      if (url === undefined) refuse(sock, 400, 'invalid_target', `request target ${describeTarget(req.url)}: not a path`);
      else refuse(sock, 404, 'not_found', `${url.pathname}: no WebSocket here; the console is at /api/v1/devices/<id>/console/websocket`);
      return;
    }
    if (closing) return refuse(sock, 503, 'shutting_down', 'backend is shutting down');
    let id: string;
    try {
      id = decodeURIComponent(match[1] as string);
    } catch {
      return refuse(sock, 400, 'invalid_value', `${url.pathname}: the device id is not valid percent-encoding`);
    }
    let checked: { device: Device; takeover: boolean };
    try {
      checked = check(req, url, id);
    } catch (e) {
      if (e instanceof Refusal) return refuse(sock, e.status, e.code, e.message);
      return refuse(sock, 500, 'internal', `console relay: ${(e as Error).message}`);
    }
    wss.handleUpgrade(req, sock, head, (ws) => open(ws, checked.device, checked.takeover));
  }

  server.on('upgrade', onUpgrade);
  return {
    onSocketEvent(e) {
      if (!('deviceUuid' in e)) return;
      const s = byDevice.get(e.deviceUuid);
      if (s === undefined) return;
      if (e.kind === 'console_up') send(s, { type: 'output', data: e.data });
      else if (e.kind === 'leave' && e.topic === 'console') deviceGone(s, 'left the console channel (disconnected or restarting)');
    },
    sessions: () => [...byDevice.keys()],
    async close() {
      if (closing) return;
      closing = true;
      server.off('upgrade', onUpgrade);
      const all = [...byDevice.values()];
      const gone = all.map((s) => new Promise<void>((r) => (s.ws.readyState === WebSocket.CLOSED ? r() : s.ws.once('close', () => r()))));
      for (const s of all) end(s, 1001, 'backend shutting down');
      const grace = setTimeout(() => all.forEach((s) => s.ws.terminate()), 2000);
      await Promise.all(gone);
      clearTimeout(grace);
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}
