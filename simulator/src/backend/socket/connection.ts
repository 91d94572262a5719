import type { WebSocket } from 'ws';
import type { JoinParams, SocketIdentity, SocketTopic } from './types.js';

export interface Channel {
  /** The join_ref of the join that opened this channel (null when the client sent none). */
  joinRef: string | null;
  params: JoinParams;
}

/** Per-socket state, kept small: no timers, no copies of the upgrade request. */
export class Connection {
  lastSeen: number;
  channels: Partial<Record<SocketTopic, Channel>> = {};
  /** Set once the connection has been dropped from the registry. */
  gone = false;

  constructor(
    readonly ws: WebSocket,
    readonly identity: SocketIdentity,
    now: number,
  ) {
    this.lastSeen = now;
  }
}
