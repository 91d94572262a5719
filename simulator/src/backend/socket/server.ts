import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { Connection } from './connection.js';
import { encodeFrame, type PhoenixFrame } from './frame.js';
import { handleText, type ChannelIo } from './handle-frame.js';
import type { OfflineReason, PhoenixSocketOptions, PhoenixSocketServer, SocketEvent, SocketIdentity, SocketTopic } from './types.js';
import { checkUpgrade, rejectUpgrade } from './upgrade.js';

const CLOSE_REPLACED = 4000;
const CLOSE_IDLE = 4002;
const CLOSE_GRACE_MS = 2000;

function destroySocket(this: Duplex): void {
  this.destroy();
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/**
 * A Phoenix v2 channel server for the `device` and `console` topics (protocol §4.5), attached to the
 * `upgrade` event of an existing server. `opts.onEvent` runs synchronously and must not throw.
 */
export function createPhoenixSocketServer(opts: PhoenixSocketOptions): PhoenixSocketServer {
  const path = opts.path ?? '/socket/websocket';
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: opts.maxFrameBytes ?? 1024 * 1024,
  });
  const byDevice = new Map<string, Connection>();
  // Dropped connections whose close handshake is still running, so close() can wait for them.
  const draining = new Set<WebSocket>();
  let online = 0;
  let closing = false;

  const emit = (e: SocketEvent): void => opts.onEvent?.(e);
  const send = (conn: Connection, frame: PhoenixFrame): void => {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(encodeFrame(frame));
  };
  const offline = (conn: Connection, reason: OfflineReason): void => {
    online -= 1;
    emit({ kind: 'offline', ...conn.identity, reason });
  };
  const io: ChannelIo = {
    send,
    emit,
    joined(conn, topic, rejoin) {
      if (topic !== 'device' || rejoin) return;
      online += 1;
      emit({ kind: 'online', ...conn.identity });
    },
    left(conn, topic) {
      if (topic === 'device') offline(conn, 'left');
    },
  };

  function drop(conn: Connection, reason: OfflineReason, code?: number, message?: string): void {
    if (conn.gone) return;
    conn.gone = true;
    const { deviceUuid } = conn.identity;
    if (byDevice.get(deviceUuid) === conn) byDevice.delete(deviceUuid);
    for (const topic of Object.keys(conn.channels) as SocketTopic[]) emit({ kind: 'leave', deviceUuid, topic });
    if (conn.channels.device !== undefined) offline(conn, reason);
    conn.channels = {};
    if (code !== undefined && conn.ws.readyState !== WebSocket.CLOSED) {
      draining.add(conn.ws);
      conn.ws.close(code, message);
    }
  }

  function attach(ws: WebSocket, identity: SocketIdentity): void {
    const conn = new Connection(ws, identity, Date.now());
    const previous = byDevice.get(identity.deviceUuid);
    byDevice.set(identity.deviceUuid, conn);
    if (previous !== undefined) drop(previous, 'replaced', CLOSE_REPLACED, 'replaced by a newer connection of this device');
    ws.on('message', (data, isBinary) => {
      conn.lastSeen = Date.now();
      if (!isBinary) {
        handleText(conn, text(data), io);
        return;
      }
      emit({ kind: 'protocol_error', deviceUuid: identity.deviceUuid, message: 'binary frame: not supported; send Phoenix v2 JSON text frames' });
      drop(conn, 'bad_frame', 1003, 'binary frames are not supported');
    });
    ws.on('ping', () => {
      conn.lastSeen = Date.now();
    });
    // ws reports oversize or malformed WebSocket frames here and closes with 1009/1002 itself.
    ws.on('error', (e) => emit({ kind: 'protocol_error', deviceUuid: identity.deviceUuid, message: `websocket: ${e.message}` }));
    ws.on('close', () => {
      draining.delete(ws);
      drop(conn, closing ? 'server_closing' : 'closed');
    });
  }

  function accept(req: IncomingMessage, socket: Duplex, head: Buffer, identity: SocketIdentity | null): void {
    if (socket.destroyed) return;
    if (closing) return rejectUpgrade(socket, 503, 'server is shutting down');
    if (identity === null) return rejectUpgrade(socket, 403, 'client certificate does not belong to a registered device');
    socket.off('error', destroySocket);
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, identity));
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const check = checkUpgrade(req, path);
    if (check.kind === 'other_path') {
      // Nobody else listens: answer rather than leave the socket hanging.
      if (opts.server.listenerCount('upgrade') === 1) {
        socket.on('error', destroySocket);
        rejectUpgrade(socket, 404, `${req.url}: no WebSocket here; use ${path}`);
      }
      return;
    }
    // The HTTP server no longer watches an upgraded socket; a reset before ws takes it must not throw.
    socket.on('error', destroySocket);
    if (check.kind === 'reject') return rejectUpgrade(socket, check.status, check.message);
    const fail = (e: unknown): void => rejectUpgrade(socket, 500, `authentication failed: ${(e as Error).message}`);
    try {
      const identity = opts.authenticate(req);
      if (identity instanceof Promise) identity.then((id) => accept(req, socket, head, id), fail);
      else accept(req, socket, head, identity);
    } catch (e) {
      fail(e);
    }
  }

  opts.server.on('upgrade', onUpgrade);
  // One sweep over all sockets instead of a timer per socket.
  const sweep = setInterval(
    () => {
      const limit = Date.now() - idleMs;
      for (const conn of byDevice.values()) {
        if (conn.lastSeen < limit) drop(conn, 'idle_timeout', CLOSE_IDLE, `heartbeat timeout: no frame for ${idleMs} ms`);
      }
    },
    Math.max(10, Math.min(5000, idleMs / 4)),
  );
  sweep.unref();

  return {
    push(deviceUuid, topic, event, payload) {
      const conn = byDevice.get(deviceUuid);
      const channel = conn?.channels[topic];
      if (conn === undefined || channel === undefined || conn.ws.readyState !== WebSocket.OPEN) return false;
      send(conn, { joinRef: channel.joinRef, ref: null, topic, event, payload });
      return true;
    },
    isOnline: (deviceUuid) => byDevice.get(deviceUuid)?.channels.device !== undefined,
    onlineCount: () => online,
    bufferedBytes: (deviceUuid) => byDevice.get(deviceUuid)?.ws.bufferedAmount ?? 0,
    joinParams: (deviceUuid, topic = 'device') => byDevice.get(deviceUuid)?.channels[topic]?.params,
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(sweep);
      opts.server.off('upgrade', onUpgrade);
      for (const conn of [...byDevice.values()]) drop(conn, 'server_closing', 1001, 'server shutting down');
      const waits = [...draining].map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
      const grace = setTimeout(() => draining.forEach((ws) => ws.terminate()), CLOSE_GRACE_MS);
      await Promise.all(waits);
      clearTimeout(grace);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
