import type { TunnelRequest } from './admin/index.js';
import type { PhoenixSocketServer } from './socket/index.js';
import type { Store, Tunnel } from './store/index.js';

/** Creates a `requested` tunnel and pushes `tunnel_request` to the device (protocol §7.3 step 1). */
export function requestTunnel(store: Store, socket: PhoenixSocketServer, deviceUuid: string, request: TunnelRequest): Tunnel {
  const ttl = request.ttl_seconds ?? 3600;
  const tunnel = store.tunnels.create({
    device_uuid: deviceUuid,
    device_tunnel_port: request.device_tunnel_port,
    expires_at: new Date(Date.now() + ttl * 1000).toISOString(),
    ...(request.cidr_block_allowlist === undefined ? {} : { cidr_block_allowlist: request.cidr_block_allowlist }),
  });
  socket.push(deviceUuid, 'device', 'tunnel_request', { tunnel_prn: tunnel.prn, device_tunnel_port: tunnel.device_tunnel_port });
  store.recordEvent('tunnel_requested', deviceUuid, { tunnel: tunnel.prn, port: tunnel.device_tunnel_port });
  return tunnel;
}
