// The mTLS REST client of the device API (protocol §4.1–4.3): one keep-alive Agent per device.
import { Agent, request } from 'node:https';
import { VfleetError, type AgentConfig } from '@vfleet/core';
import type { DeviceApi, HttpResult } from '../types.js';
import { createDeviceTls, deviceConnector, type DeviceTls, type DeviceTlsOptions } from './device-tls.js';
import { decodeBody } from './http-body.js';
import { UPDATE_PATH } from './update-query.js';
import { peridiodUserAgent } from './user-agent.js';

export const REQUEST_TIMEOUT_MS = 10_000;
export const IDLE_KEEPALIVE_MS = 15_000;
/** Idle time of a REST connection when polls are further apart than IDLE_KEEPALIVE_MS (follow-up calls still share it). */
export const SHORT_IDLE_MS = 2_000;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const PRN_IN_PATH = /^[A-Za-z0-9:._-]+$/;

export type DeviceApiOptions = ({ tls: DeviceTls } | Omit<DeviceTlsOptions, 'config'>) & {
  config: AgentConfig;
  userAgent?: string;
  /** §4.2 headers for calls other than getUpdate (peridiod's client carries them on every call). */
  stateHeaders?: () => Readonly<Record<string, string>>;
  signal: AbortSignal;
  timeoutMs?: number;
  /** How long an idle REST connection stays open (default IDLE_KEEPALIVE_MS). */
  idleKeepAliveMs?: number;
};

export interface DeviceApiClient extends DeviceApi {
  /** `https://<host>:<port>` (vfleet deviation: peridiod uses port 443 for REST whatever device_api.url says). */
  readonly baseUrl: string;
  /** Destroys the device's Agent and its sockets. */
  close(): void;
}

/**
 * How long an idle REST connection stays open for a device polling every `pollIntervalMs`: across
 * polls when they come within IDLE_KEEPALIVE_MS (the EVK's 5 s), else only briefly, since it would
 * idle out before the next poll anyway and an idle TLS connection costs ~40 KB (the next poll resumes
 * the TLS session instead).
 */
export function restIdleMs(pollIntervalMs: number): number {
  return pollIntervalMs <= IDLE_KEEPALIVE_MS ? IDLE_KEEPALIVE_MS : SHORT_IDLE_MS;
}

function tunnelPath(prn: string): string {
  if (!PRN_IN_PATH.test(prn)) {
    throw new VfleetError('VFLEET_PRN_INVALID', `tunnel PRN ${JSON.stringify(prn)}: cannot be put in a URL path verbatim; expected prn:1:<org>:tunnel:<uuid>`);
  }
  return `/tunnels/${prn}`;
}

export function createDeviceApi(options: DeviceApiOptions): DeviceApiClient {
  const tls = 'tls' in options ? options.tls : createDeviceTls({ ...options, config: options.config });
  const { signal } = options;
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const userAgent = options.userAgent ?? peridiodUserAgent();
  const baseUrl = `https://${tls.host}:${tls.port}`;
  // An idle connection is kept only briefly (see restIdleMs); every new one resumes the device's TLS session.
  // One connection at a time: calls made together (the update check and the tunnel sync at start) go
  // one after the other instead of opening a second connection, which cost every device another
  // handshake at start and, until its idle timer ran out, another TLS socket.
  const agent = new Agent({ keepAlive: true, timeout: options.idleKeepAliveMs ?? IDLE_KEEPALIVE_MS, maxSockets: 1, maxFreeSockets: 1 });
  agent.createConnection = deviceConnector(tls, signal) as unknown as Agent['createConnection'];
  const close = (): void => {
    signal.removeEventListener('abort', close);
    agent.destroy();
  };
  signal.addEventListener('abort', close, { once: true });

  const send = (method: string, path: string, headers: Readonly<Record<string, string>>, body?: unknown): Promise<HttpResult> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const what = `${method} ${baseUrl}${path.split('?')[0]}`;
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request({
        agent, host: tls.host, port: tls.port, method, path, signal,
        headers: {
          'user-agent': userAgent,
          ...headers,
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
        },
      });
      const timer = setTimeout(() => req.destroy(new VfleetError('VFLEET_IO', `${what}: no response within ${timeoutMs} ms`)), timeoutMs);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        if (signal.aborted) reject(signal.reason);
        else reject(e instanceof VfleetError ? e : new VfleetError('VFLEET_IO', `${what}: ${e.message}`, { cause: e }));
      };
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) req.destroy(new VfleetError('VFLEET_IO', `${what}: response body exceeds ${MAX_BODY_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: decodeBody(res, Buffer.concat(chunks)) });
        });
      });
      req.end(payload);
    });

  const state = (): Readonly<Record<string, string>> => options.stateHeaders?.() ?? {};
  return {
    baseUrl,
    close,
    getUpdate: (stateHeaders) => send('GET', UPDATE_PATH, stateHeaders),
    getTunnels: () => send('GET', '/tunnels', state()),
    configureTunnel: async (prn, body) => send('POST', `${tunnelPath(prn)}/configure`, state(), body),
    closeTunnel: async (prn, closeReason) => send('PATCH', tunnelPath(prn), state(), { state: 'closed', close_reason: closeReason }),
  };
}
