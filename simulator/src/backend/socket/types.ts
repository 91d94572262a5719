import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

export type SocketTopic = 'device' | 'console';

/** Who a connection belongs to, as decided by `authenticate` from the TLS client certificate. */
export interface SocketIdentity {
  deviceUuid: string;
  identifier: string;
}

export type JoinParams = Record<string, unknown>;

export interface BinaryProgress {
  download_percent?: number;
  install_percent?: number;
}

/** A device → server push on a joined topic, decoded (protocol §4.5 and §6). */
export type DevicePush =
  | { kind: 'rebooting' }
  | { kind: 'fwup_progress'; value: number }
  | { kind: 'status_update'; status: string }
  | { kind: 'binary_progress'; binaries: Record<string, BinaryProgress> }
  | { kind: 'console_up'; data: string };

export type OfflineReason = 'closed' | 'left' | 'replaced' | 'idle_timeout' | 'bad_frame' | 'server_closing';

export type SocketEvent =
  | { kind: 'online'; deviceUuid: string; identifier: string }
  | { kind: 'offline'; deviceUuid: string; identifier: string; reason: OfflineReason }
  | { kind: 'join'; deviceUuid: string; topic: SocketTopic; params: JoinParams }
  | { kind: 'leave'; deviceUuid: string; topic: SocketTopic }
  | { kind: 'heartbeat'; deviceUuid: string }
  | ({ deviceUuid: string } & DevicePush)
  | { kind: 'protocol_error'; deviceUuid: string; message: string };

export interface PhoenixSocketOptions {
  /** The node:https (or node:http) server whose `upgrade` event is handled for `path`. */
  server: HttpServer | HttpsServer;
  /** Identity for an upgrade request, or null to refuse it with 403 before the upgrade. */
  authenticate: (req: IncomingMessage) => SocketIdentity | null | Promise<SocketIdentity | null>;
  onEvent?: (e: SocketEvent) => void;
  /** Default `/socket/websocket`. */
  path?: string;
  /** No frame for this long closes the connection; default 60 000 (peridiod heartbeats every 30 s). */
  idleTimeoutMs?: number;
  /** Largest accepted WebSocket message; larger ones close the connection with 1009. Default 1 MiB. */
  maxFrameBytes?: number;
}

export interface PhoenixSocketServer {
  /** Sends `[join_ref, null, topic, event, payload]`; false when the device has not joined `topic`. */
  push(deviceUuid: string, topic: SocketTopic, event: string, payload: unknown): boolean;
  isOnline(deviceUuid: string): boolean;
  onlineCount(): number;
  /** Bytes queued toward the device that its connection has not taken yet (0 when not connected). */
  bufferedBytes(deviceUuid: string): number;
  /** Params of the device's current join of `topic` (default `device`), or undefined. */
  joinParams(deviceUuid: string, topic?: SocketTopic): JoinParams | undefined;
  /** Detaches from the server, closes every connection with 1001 and resolves once they are gone. */
  close(): Promise<void>;
}
