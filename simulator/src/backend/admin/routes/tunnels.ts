import type { Tunnel, TunnelState } from '../../store/index.js';
import type { AdminContext } from '../context.js';
import { readJsonObject } from '../body.js';
import { HttpError } from '../http-error.js';
import type { TunnelRequest } from '../hooks.js';
import { found, idOf, queryOf } from '../ids.js';
import type { Router } from '../router.js';
import { show } from '../../store/fields.js';
import { allowlistEntryError } from '../../wireguard/allowlist.js';

const STATES: readonly string[] = ['requested', 'open', 'closed'] satisfies TunnelState[];

function tunnelRequest(body: Record<string, unknown>): { deviceRef: string; request: TunnelRequest } {
  const bad = (field: string, what: string): never => {
    throw new HttpError(422, 'invalid_value', `tunnel.${field}: expected ${what}, got ${body[field] === undefined ? 'nothing' : show(body[field])}`, `tunnel.${field}`);
  };
  const extra = Object.keys(body).find((k) => !['device_uuid', 'device_tunnel_port', 'ttl_seconds', 'cidr_block_allowlist'].includes(k));
  if (extra !== undefined) {
    throw new HttpError(400, 'unknown_field', `tunnel.${extra}: unknown field (accepted: device_uuid, device_tunnel_port, ttl_seconds, cidr_block_allowlist)`, `tunnel.${extra}`);
  }
  const { device_uuid: device, device_tunnel_port: port, ttl_seconds: ttl, cidr_block_allowlist: cidrs } = body;
  if (typeof device !== 'string') bad('device_uuid', 'a device UUID or PRN');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) bad('device_tunnel_port', 'an integer from 1 to 65535');
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > 86_400)) bad('ttl_seconds', 'an integer from 1 to 86400');
  if (cidrs !== undefined && (!Array.isArray(cidrs) || !cidrs.every((c) => typeof c === 'string'))) bad('cidr_block_allowlist', 'an array of CIDR strings');
  (cidrs as string[] | undefined)?.forEach((c, i) => {
    const why = allowlistEntryError(c);
    if (why !== undefined) throw new HttpError(422, 'invalid_value', `tunnel.cidr_block_allowlist[${i}]: ${why}`, `tunnel.cidr_block_allowlist[${i}]`);
  });
  return {
    deviceRef: device as string,
    request: {
      device_tunnel_port: port as number,
      ...(ttl === undefined ? {} : { ttl_seconds: ttl as number }),
      ...(cidrs === undefined ? {} : { cidr_block_allowlist: cidrs as string[] }),
    },
  };
}

/** Tunnels are listed here; opening one goes through the backend (`hooks.requestTunnel`). */
export function tunnelRoutes(router: Router, { store, hooks }: AdminContext): void {
  // where users connect, for tunnels whose traffic this backend carries
  const withAddress = async (t: Tunnel) => {
    const plane = t.state === 'open' ? await hooks.tunnelDataPlane?.(t.uuid) : undefined;
    return { ...t, local_address: plane?.local_address ?? null, last_handshake_at: plane?.last_handshake_at ?? null };
  };
  const existing = (id: string): Tunnel => found(store.tunnels.get(idOf(id, 'tunnel')), 'tunnel', id);
  router.add('GET', '/api/v1/tunnels', async ({ query }) => {
    const q = queryOf(query, ['device_uuid', 'state']);
    const state = q['state'];
    if (state !== undefined && !STATES.includes(state)) {
      throw new HttpError(400, 'invalid_value', `query.state: expected requested, open or closed, got ${JSON.stringify(state)}`, 'query.state');
    }
    const tunnels = store.tunnels.list({
      ...(q['device_uuid'] === undefined ? {} : { device_uuid: idOf(q['device_uuid'], 'device') }),
      ...(state === undefined ? {} : { state: state as TunnelState }),
    });
    return { status: 200, body: { tunnels: await Promise.all(tunnels.map(withAddress)) } };
  });
  router.add('GET', '/api/v1/tunnels/:id', async ({ params, query }) => {
    queryOf(query, []);
    const id = params['id'] ?? '';
    return { status: 200, body: { tunnel: await withAddress(existing(id)) } };
  });
  router.add('POST', '/api/v1/tunnels/:id/close', async ({ params, query }) => {
    queryOf(query, []);
    const t = existing(params['id'] ?? '');
    if (!hooks.closeTunnel) throw new HttpError(501, 'not_supported', 'closing tunnels needs the running backend');
    return { status: 200, body: { tunnel: await withAddress(await hooks.closeTunnel(t.uuid)) } };
  });
  router.add('POST', '/api/v1/tunnels/:id/extend', async ({ req, params, query }) => {
    queryOf(query, []);
    const t = existing(params['id'] ?? '');
    const body = await readJsonObject(req);
    const extra = Object.keys(body).find((k) => k !== 'ttl_seconds');
    if (extra !== undefined) throw new HttpError(400, 'unknown_field', `extend.${extra}: unknown field (accepted: ttl_seconds)`, `extend.${extra}`);
    const ttl = body['ttl_seconds'];
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) {
      throw new HttpError(422, 'invalid_value', `extend.ttl_seconds: expected an integer from 1 to 86400, got ${JSON.stringify(ttl) ?? 'nothing'}`, 'extend.ttl_seconds');
    }
    if (t.state === 'closed') throw new HttpError(409, 'conflict', `tunnel ${t.prn} is closed (${t.close_reason ?? 'no reason'})`);
    if (!hooks.extendTunnel) throw new HttpError(501, 'not_supported', 'extending tunnels needs the running backend');
    return { status: 200, body: { tunnel: await withAddress(await hooks.extendTunnel(t.uuid, ttl)) } };
  });
  router.add('POST', '/api/v1/tunnels', async ({ req, query }) => {
    queryOf(query, []);
    const { deviceRef, request } = tunnelRequest(await readJsonObject(req));
    let uuid: string;
    try {
      uuid = idOf(deviceRef, 'device');
    } catch {
      throw new HttpError(422, 'unknown_reference', `tunnel.device_uuid: no device ${JSON.stringify(deviceRef)}`, 'tunnel.device_uuid');
    }
    if (store.devices.get(uuid) === undefined) {
      throw new HttpError(422, 'unknown_reference', `tunnel.device_uuid: no device ${JSON.stringify(deviceRef)}`, 'tunnel.device_uuid');
    }
    return { status: 201, body: { tunnel: await withAddress(await hooks.requestTunnel(uuid, request)) } };
  });
}
