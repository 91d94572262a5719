import type { Channel, Connection } from './connection.js';
import { decodeDevicePush } from './device-push.js';
import { parseFrame, type PhoenixFrame } from './frame.js';
import type { JoinParams, SocketEvent, SocketTopic } from './types.js';

/** What frame handling needs from the server around it. */
export interface ChannelIo {
  send(conn: Connection, frame: PhoenixFrame): void;
  emit(e: SocketEvent): void;
  /** A topic was joined (`rejoin`: it replaced an earlier join of the same topic). */
  joined(conn: Connection, topic: SocketTopic, rejoin: boolean): void;
  left(conn: Connection, topic: SocketTopic): void;
}

const OK = { status: 'ok', response: {} } as const;
const isTopic = (t: string): t is SocketTopic => t === 'device' || t === 'console';
const isObject = (v: unknown): v is JoinParams => typeof v === 'object' && v !== null && !Array.isArray(v);

function reply(io: ChannelIo, conn: Connection, f: PhoenixFrame, payload: unknown): void {
  if (f.ref !== null) io.send(conn, { joinRef: f.joinRef, ref: f.ref, topic: f.topic, event: 'phx_reply', payload });
}

/** Phoenix's own reasons (e.g. "unmatched topic") go on the wire as Phoenix sends them; `detail` goes to onEvent. */
function refuse(io: ChannelIo, conn: Connection, f: PhoenixFrame, reason: string, detail?: string): void {
  io.emit({ kind: 'protocol_error', deviceUuid: conn.identity.deviceUuid, message: detail ?? reason });
  const response = { reason };
  if (f.ref !== null) reply(io, conn, f, { status: 'error', response });
  else io.send(conn, { joinRef: f.joinRef, ref: null, topic: f.topic, event: 'phx_error', payload: response });
}

/** Handles one text frame from a client; every failure is answered and the connection stays up. */
export function handleText(conn: Connection, text: string, io: ChannelIo): void {
  const parsed = parseFrame(text);
  if (parsed.ok) {
    handleFrame(conn, parsed.frame, io);
    return;
  }
  const { reason, joinRef, ref, topic } = parsed;
  io.emit({ kind: 'protocol_error', deviceUuid: conn.identity.deviceUuid, message: reason });
  if (ref !== null && topic !== null) {
    io.send(conn, { joinRef, ref, topic, event: 'phx_reply', payload: { status: 'error', response: { reason } } });
  } else {
    io.send(conn, { joinRef, ref: null, topic: topic ?? 'phoenix', event: 'phx_error', payload: { reason } });
  }
}

export function handleFrame(conn: Connection, f: PhoenixFrame, io: ChannelIo): void {
  const deviceUuid = conn.identity.deviceUuid;
  if (f.topic === 'phoenix' && f.event === 'heartbeat') {
    reply(io, conn, f, OK);
    io.emit({ kind: 'heartbeat', deviceUuid });
    return;
  }
  const topic = f.topic;
  if (!isTopic(topic)) {
    refuse(io, conn, f, 'unmatched topic', `topic "${topic}": unknown; this server has "device" and "console"`);
    return;
  }
  if (f.event === 'phx_join') {
    join(conn, topic, f, io);
    return;
  }
  const channel = conn.channels[topic];
  if (channel === undefined) {
    refuse(io, conn, f, 'unmatched topic', `${topic} "${f.event}": topic not joined; send phx_join first`);
    return;
  }
  if (f.event === 'phx_leave') {
    reply(io, conn, f, OK);
    closeChannel(conn, topic, channel, io);
    return;
  }
  const push = decodeDevicePush(topic, f.event, f.payload);
  if (typeof push === 'string') {
    refuse(io, conn, f, push);
    return;
  }
  io.emit({ deviceUuid, ...push });
  reply(io, conn, f, OK);
}

function join(conn: Connection, topic: SocketTopic, f: PhoenixFrame, io: ChannelIo): void {
  if (!isObject(f.payload)) {
    refuse(io, conn, f, `${topic} phx_join: params must be a JSON object`);
    return;
  }
  const previous = conn.channels[topic];
  // As Phoenix does for a duplicate join: the old channel is closed, then the new one joins.
  if (previous !== undefined) sendClose(conn, topic, previous, io);
  conn.channels[topic] = { joinRef: f.joinRef, params: f.payload };
  reply(io, conn, f, OK);
  io.emit({ kind: 'join', deviceUuid: conn.identity.deviceUuid, topic, params: f.payload });
  io.joined(conn, topic, previous !== undefined);
}

function sendClose(conn: Connection, topic: SocketTopic, channel: Channel, io: ChannelIo): void {
  io.send(conn, { joinRef: channel.joinRef, ref: channel.joinRef, topic, event: 'phx_close', payload: {} });
}

function closeChannel(conn: Connection, topic: SocketTopic, channel: Channel, io: ChannelIo): void {
  sendClose(conn, topic, channel, io);
  delete conn.channels[topic];
  io.emit({ kind: 'leave', deviceUuid: conn.identity.deviceUuid, topic });
  io.left(conn, topic);
}
