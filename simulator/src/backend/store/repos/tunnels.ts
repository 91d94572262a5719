import { allowlistEntryError } from '../../wireguard/allowlist.js';
import { Fields } from '../fields.js';
import type { Tables } from '../tables.js';
import type { Tunnel, TunnelState } from '../types.js';

export interface TunnelInput {
  device_uuid: string;
  device_tunnel_port: number;
  expires_at: string;
  cidr_block_allowlist?: string[];
}

/** Fields filled in as the tunnel is configured, opened and closed. */
export interface TunnelPatch {
  state?: TunnelState;
  close_reason?: string | null;
  expires_at?: string;
  device_proxy_ip_address?: string | null;
  device_proxy_port?: number | null;
  device_public_key?: string | null;
  server_proxy_ip_address?: string | null;
  server_proxy_port?: number | null;
  server_public_key?: string | null;
  server_tunnel_ip_address?: string | null;
  server_tunnel_port?: number | null;
}

const TEXTS = ['device_proxy_ip_address', 'device_public_key', 'server_proxy_ip_address', 'server_public_key', 'server_tunnel_ip_address'] as const;
const PORTS = ['device_proxy_port', 'server_proxy_port', 'server_tunnel_port'] as const;
const NEXT: Record<TunnelState, readonly TunnelState[]> = { requested: ['open', 'closed'], open: ['closed'], closed: [] };

/** The allowlist's entries, each an address or CIDR block (IPv6 with a prefix is at most 43 characters). */
function allowlist(f: Fields, input: TunnelInput): string[] {
  const list = f.strings('cidr_block_allowlist', 1000, 43);
  for (const entry of list) {
    const why = allowlistEntryError(entry);
    if (why !== undefined) f.fail(`cidr_block_allowlist[${input.cidr_block_allowlist?.indexOf(entry) ?? 0}]`, why);
  }
  return list;
}

export function tunnelsRepo({ tunnels, devices }: Tables) {
  return {
    create(input: TunnelInput): Tunnel {
      const f = new Fields('tunnel', input, ['device_uuid', 'device_tunnel_port', 'expires_at', 'cidr_block_allowlist']);
      const deviceUuid = f.ref('device_uuid', 'device');
      if (!devices.exists(deviceUuid)) f.fail('device_uuid', `no device ${JSON.stringify(deviceUuid)}`, 'reference');
      return tunnels.insert({
        device_uuid: deviceUuid,
        state: 'requested',
        device_tunnel_port: f.int('device_tunnel_port', 1, 65535),
        expires_at: f.iso('expires_at'),
        cidr_block_allowlist: f.has('cidr_block_allowlist') ? allowlist(f, input) : [],
      });
    },
    get: (uuid: string): Tunnel | undefined => tunnels.get(uuid),
    list(filter: { device_uuid?: string; state?: TunnelState } = {}): Tunnel[] {
      const all = filter.device_uuid === undefined ? tunnels.list() : tunnels.where('device_uuid = ?', filter.device_uuid);
      return filter.state === undefined ? all : all.filter((t) => t.state === filter.state);
    },
    /** `state` moves requested → open → closed (or requested → closed); closed is final. */
    update(uuid: string, patch: TunnelPatch): Tunnel {
      const current = tunnels.must(uuid);
      const f = new Fields('tunnel', patch, ['state', 'close_reason', 'expires_at', ...TEXTS, ...PORTS]);
      const values: Record<string, unknown> = {};
      if (f.has('state')) {
        const state = f.text('state', 20) as TunnelState;
        if (!(state in NEXT)) f.fail('state', `expected requested, open or closed, got ${JSON.stringify(state)}`);
        if (state !== current.state && !NEXT[current.state].includes(state)) f.fail('state', `cannot go from ${current.state} to ${state}`, 'conflict');
        values['state'] = state;
      }
      if (f.has('close_reason')) values['close_reason'] = f.optText('close_reason', 100);
      if (f.has('expires_at')) values['expires_at'] = f.iso('expires_at');
      for (const name of TEXTS) if (f.has(name)) values[name] = f.optText(name, 200);
      for (const name of PORTS) if (f.has(name)) values[name] = f.optInt(name, 1, 65535);
      return tunnels.update(uuid, values);
    },
  };
}

export type TunnelsRepo = ReturnType<typeof tunnelsRepo>;
