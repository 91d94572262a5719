import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { parsePrn } from '@vfleet/core';
import { describeTarget, requestUrl } from '../request-url.js';
import { resolveUpdate, type StateHeaders } from '../resolve/index.js';
import { isStoreError, type Device, type Store, type StoreErrorKind } from '../store/index.js';
import type { createDeviceAuthenticator } from './auth.js';
import { BodyError, readJsonObject } from './body.js';
import { closeReason, tunnelJson, type DeviceTunnelHandler } from './tunnels.js';
import { updateResponse } from './update-response.js';

export interface DeviceRouterOptions {
  store: Store;
  auth: ReturnType<typeof createDeviceAuthenticator>;
  /** The download URL of a binary (signed, expiring). */
  binaryUrl: (binaryUuid: string) => string;
  tunnels: DeviceTunnelHandler;
  now?: () => Date;
  onError?: (e: unknown) => void;
}

/** A store rejection is the device's input being wrong: its status, with the message naming the field. */
const STORE_STATUS: Record<StoreErrorKind, number> = { unknown_field: 400, invalid: 422, reference: 422, conflict: 409, not_found: 404 };

const header = (req: IncomingMessage, name: string): string | null => {
  const v = req.headers[name];
  return typeof v === 'string' && v !== '' ? v : null;
};

/**
 * The request path as URL would give it: a plain origin-form target (what devices send) is cut at
 * `?`; anything that needs normalising (dot segments, escapes, absolute form) goes through URL.
 * Undefined for a target that names no path (answer 400).
 */
export function pathOf(target = '/'): string | undefined {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  return path.startsWith('/') && !/[.%\\]/.test(path) ? path : requestUrl(target, 'https://device-api')?.pathname;
}

/** The device-facing REST routes of protocol §4.3 (`/update`, `/tunnels…`, `/device/me`). */
export function createDeviceRouter(opts: DeviceRouterOptions) {
  const { store } = opts;
  const now = opts.now ?? (() => new Date());

  function send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function update(req: IncomingMessage, res: ServerResponse, device: Device): void {
    const reported = {
      release_prn: header(req, 'peridio-release-prn'),
      version: header(req, 'peridio-release-version'),
      bundle_prn: header(req, 'peridio-bundle-prn'),
    };
    store.touchDevice(device.uuid, reported);
    const resolution = resolveUpdate({ device, headers: req.headers as StateHeaders, now: now(), ...store.updateContext(device) });
    const manifest = resolution.status === 'update' ? store.manifest(resolution.bundle.uuid) : [];
    store.recordEvent('poll', device.uuid, {
      ...reported,
      result: resolution.status,
      ...(resolution.status === 'update' ? { bundle_prn: resolution.bundle.prn } : {}),
    });
    send(res, 200, updateResponse(resolution, manifest, opts.binaryUrl));
  }

  function tunnelOf(prn: string, device: Device) {
    let uuid: string;
    try {
      const parsed = parsePrn(prn, 'tunnel prn', 'tunnel');
      uuid = parsed.uuid;
    } catch {
      return undefined;
    }
    const t = store.tunnels.get(uuid);
    return t && t.device_uuid === device.uuid ? t : undefined;
  }

  async function route(req: IncomingMessage, res: ServerResponse, device: Device, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/update') return method === 'GET' ? update(req, res, device) : send(res, 405, { error: 'use GET' });
    if (path === '/device/me') {
      if (method !== 'GET') return send(res, 405, { error: 'use GET' });
      return send(res, 200, { data: { prn: device.prn, identifier: device.identifier, tags: device.tags, target: device.target, cohort_prn: device.cohort_uuid && store.cohorts.get(device.cohort_uuid)?.prn } });
    }
    if (path === '/tunnels') {
      if (method !== 'GET') return send(res, 405, { error: 'use GET' });
      const tunnels = store.tunnels.list({ device_uuid: device.uuid }).filter((t) => t.state !== 'closed');
      return send(res, 200, { tunnels: tunnels.map(tunnelJson) });
    }
    const m = /^\/tunnels\/([^/]+)(\/configure)?$/.exec(path);
    if (m) {
      let id: string;
      try {
        id = decodeURIComponent(m[1] as string);
      } catch {
        return send(res, 400, { error: `/tunnels/${m[1]}: the tunnel id is not valid percent-encoding` });
      }
      const missing = () => send(res, 404, { error: `no tunnel ${m[1]} for this device` });
      if (!tunnelOf(id, device)) return missing();
      const configure = m[2] !== undefined && method === 'POST';
      if (!configure && (m[2] !== undefined || method !== 'PATCH')) return send(res, 405, { error: 'use POST …/configure or PATCH' });
      const body = await readJsonObject(req);
      // read again: the tunnel may have changed (configured, closed) while the body was arriving
      const tunnel = tunnelOf(id, device);
      if (!tunnel) return missing();
      if (configure) {
        const r = await opts.tunnels.configure(device, tunnel, body, req.socket.remoteAddress);
        return send(res, r.status, r.body);
      }
      if (body['state'] !== 'closed') return send(res, 422, { error: 'state: only "closed" may be set by a device' });
      return send(res, 200, { data: tunnelJson(opts.tunnels.closed(device, tunnel, closeReason(body['close_reason']))) });
    }
    send(res, 404, { error: `no route ${method} ${path}` });
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const auth = opts.auth.authenticate(req.socket as TLSSocket);
      if (!auth.ok) return send(res, auth.status, { error: auth.message });
      const path = pathOf(req.url);
      if (path === undefined) return send(res, 400, { error: `request target ${describeTarget(req.url)}: not a path` });
      await route(req, res, auth.device, path);
    } catch (e) {
      if (e instanceof BodyError) return send(res, e.status, { error: e.message });
      if (isStoreError(e) && !res.headersSent) return send(res, STORE_STATUS[e.kind], { error: e.message });
      opts.onError?.(e);
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  };
}
