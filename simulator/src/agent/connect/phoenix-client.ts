// A Phoenix v2 channel client shaped like peridiod's Slipstream socket (protocol §4.5).
import { WebSocket, type ClientOptions } from 'ws';
import type { AgentConfig } from '@vfleet/core';
import type { AgentLogger, RebootRequester } from '../types.js';
import { deviceConnector, type DeviceTls } from './device-tls.js';
import { quoted } from './log-text.js';
import { decodeFrame, encodeFrame, type Frame } from './phoenix-frame.js';
import { RECONNECT_DELAYS_MS, reconnectDelay } from './reconnect-delay.js';

export const HEARTBEAT_INTERVAL_MS = 30_000;
export const REJOIN_AFTER_MS = 5_000;
const MAX_FRAME_BYTES = 1024 * 1024;

export interface PhoenixClientOptions {
  /** `wss://host:port/socket/websocket?vsn=2.0.0`, see socketUrl(). */
  url: string;
  tls: DeviceTls;
  /** Params for both topics, read at every (re)join; the device topic's first join adds currently_downloading_uuid. */
  joinParams: () => Record<string, unknown>;
  consoleEnabled: boolean;
  log: AgentLogger;
  signal: AbortSignal;
  /** Server events on joined topics, except `reboot`, which the client handles. */
  onEvent: (topic: string, event: string, payload: unknown) => void;
  /** A topic was joined; `response` is the join reply's response. */
  onJoin?: (topic: string, response: unknown) => void;
  requestReboot: RebootRequester;
  reconnectDelaysMs?: readonly number[];
  rejoinAfterMs?: number;
  heartbeatIntervalMs?: number;
  random?: () => number;
}

export interface PhoenixClient {
  /** Sends an event on a joined topic; false when the topic is not joined (nothing sent). */
  push(topic: string, event: string, payload: unknown): boolean;
  isJoined(topic: string): boolean;
  close(): void;
}

interface TopicState {
  joinRef: string;
  joined: boolean;
  rejoin?: NodeJS.Timeout | undefined;
}

export function socketUrl(config: AgentConfig): string {
  return `wss://${config.deviceApi.host}:${config.deviceApi.port}/socket/websocket?vsn=2.0.0`;
}

export function createPhoenixClient(options: PhoenixClientOptions): PhoenixClient {
  const { url, log, signal } = options;
  const bases = options.reconnectDelaysMs ?? RECONNECT_DELAYS_MS;
  const random = options.random ?? Math.random;
  const topics = new Map<string, TopicState>();
  let ws: WebSocket | undefined;
  let lastError: string | undefined;
  let ref = 0;
  let attempt = 0;
  let pendingHeartbeat: string | null = null;
  let heartbeat: NodeJS.Timeout | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let closed = false;

  const nextRef = (): string => String(++ref);
  const send = (frame: Frame, done?: (err?: Error) => void): void => ws?.send(encodeFrame(frame), done);
  const guarded = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      log.error(`[Cloud Socket] ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const join = (topic: string, params: Record<string, unknown>): void => {
    const joinRef = nextRef();
    topics.set(topic, { joinRef, joined: false });
    send({ joinRef, ref: joinRef, topic, event: 'phx_join', payload: params });
  };

  const scheduleRejoin = (topic: string, state: TopicState): void => {
    state.joined = false;
    clearTimeout(state.rejoin);
    // Slipstream rejoins with the stored params, so currently_downloading_uuid is absent here (as in peridiod).
    state.rejoin = setTimeout(() => {
      state.rejoin = undefined;
      if (ws?.readyState === WebSocket.OPEN) join(topic, options.joinParams());
    }, options.rejoinAfterMs ?? REJOIN_AFTER_MS);
  };

  const stopConnection = (): void => {
    clearInterval(heartbeat);
    heartbeat = undefined;
    pendingHeartbeat = null;
    for (const state of topics.values()) clearTimeout(state.rejoin);
    topics.clear();
  };

  const beat = (): void => {
    if (pendingHeartbeat !== null) {
      lastError = 'heartbeat timeout';
      ws?.terminate();
      return;
    }
    pendingHeartbeat = nextRef();
    send({ joinRef: null, ref: pendingHeartbeat, topic: 'phoenix', event: 'heartbeat', payload: {} });
  };

  const onOpen = (): void => {
    attempt = 0;
    heartbeat = setInterval(beat, options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
    const params = options.joinParams();
    join('device', { ...params, currently_downloading_uuid: null });
    if (options.consoleEnabled) join('console', params);
  };

  const onReboot = (): void => {
    log.warn('[Cloud Socket] Reboot Request');
    let requested = false;
    const reboot = (): void => {
      if (requested) return;
      requested = true;
      guarded('reboot request', () => options.requestReboot('server'));
    };
    // The reboot waits until `rebooting` is on the wire, so the server sees it before the device goes.
    if (!pushFrame('device', 'rebooting', {}, reboot)) reboot();
  };

  const onReply = (frame: Frame, state: TopicState): void => {
    if (frame.ref !== state.joinRef || state.joined) return;
    const reply = (frame.payload ?? {}) as { status?: unknown; response?: unknown };
    if (reply.status !== 'ok') {
      log.warn(`[Client] error: join ${frame.topic} refused: ${quoted(reply.response ?? null)}`);
      scheduleRejoin(frame.topic, state);
      return;
    }
    state.joined = true;
    log.info(frame.topic === 'device' ? '[Cloud Socket] Joined Device channel' : '[Cloud Socket] Joined Console channel: getty');
    guarded('join handler', () => options.onJoin?.(frame.topic, reply.response));
  };

  const onMessage = (text: string): void => {
    const frame = decodeFrame(text);
    if (typeof frame === 'string') {
      log.debug(`[Cloud Socket] ignoring frame: ${frame}`);
      return;
    }
    if (frame.topic === 'phoenix') {
      if (frame.event === 'phx_reply' && frame.ref === pendingHeartbeat) pendingHeartbeat = null;
      return;
    }
    const state = topics.get(frame.topic);
    if (state === undefined || (frame.joinRef !== null && frame.joinRef !== state.joinRef)) return;
    if (frame.event === 'phx_reply') return onReply(frame, state);
    if (frame.event === 'phx_close' || frame.event === 'phx_error') {
      if (frame.topic === 'device') log.warn(`[Client] error: device channel ${frame.event === 'phx_close' ? 'closed' : 'crashed'} by the server`);
      return scheduleRejoin(frame.topic, state);
    }
    if (!state.joined) return;
    if (frame.topic === 'device' && frame.event === 'reboot') return onReboot();
    guarded(`${frame.topic} ${frame.event} handler`, () => options.onEvent(frame.topic, frame.event, frame.payload));
  };

  const onClose = (code: number): void => {
    ws = undefined;
    stopConnection();
    if (closed) return;
    log.warn(`[Client] error: ${lastError ?? `socket closed (code ${code})`}`);
    const delay = reconnectDelay(attempt++, bases, random);
    reconnect = setTimeout(connect, delay);
  };

  function connect(): void {
    reconnect = undefined;
    lastError = undefined;
    const socket = new WebSocket(url, {
      // the device's identity, resuming the TLS session its REST calls (or last socket) got
      createConnection: deviceConnector(options.tls, signal) as unknown as ClientOptions['createConnection'],
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
    });
    ws = socket;
    socket.on('open', () => {
      if (ws === socket) onOpen();
    });
    socket.on('message', (data, isBinary) => {
      // a frame this client cannot handle is logged; it never throws out of the socket's listener
      if (ws === socket && !isBinary) guarded('frame', () => onMessage(String(data)));
    });
    socket.on('error', (e) => {
      lastError ??= e.message;
    });
    socket.on('close', (code) => {
      if (ws === socket) onClose(code);
    });
  }

  function pushFrame(topic: string, event: string, payload: unknown, done?: () => void): boolean {
    const state = topics.get(topic);
    if (ws?.readyState !== WebSocket.OPEN || state?.joined !== true) return false;
    send({ joinRef: state.joinRef, ref: nextRef(), topic, event, payload }, done);
    return true;
  }

  const close = (): void => {
    if (closed) return;
    closed = true;
    signal.removeEventListener('abort', close);
    clearTimeout(reconnect);
    stopConnection();
    const socket = ws;
    ws = undefined;
    socket?.terminate();
  };

  if (signal.aborted) closed = true;
  else {
    signal.addEventListener('abort', close, { once: true });
    connect();
  }
  return {
    push: (topic, event, payload) => pushFrame(topic, event, payload),
    isJoined: (topic) => topics.get(topic)?.joined === true,
    close,
  };
}
