import type { Tunnel } from '../store/index.js';

export interface TunnelRequest {
  device_tunnel_port: number;
  /** How long the tunnel may live; the lead's default applies when absent. */
  ttl_seconds?: number;
  cidr_block_allowlist?: string[];
}

/** What the admin API needs from the running backend (filled in by the server, faked in tests). */
export interface AdminHooks {
  /** Pushes a Phoenix event to a connected device; false when it is not connected. */
  pushToDevice(deviceUuid: string, topic: 'device' | 'console', event: string, payload: Record<string, unknown>): boolean;
  /** Creates the tunnel row and asks the device to open it. */
  requestTunnel(deviceUuid: string, request: TunnelRequest): Promise<Tunnel>;
  /** Closes a tunnel from the server side (`tunnel_close` to the device, server end torn down). */
  closeTunnel?(tunnelUuid: string): Promise<Tunnel>;
  /** Moves expires_at to now + ttl and tells the device (`tunnel_extend`). */
  extendTunnel?(tunnelUuid: string, ttlSeconds: number): Promise<Tunnel>;
  /** Where users reach an open tunnel on this backend, if it carries the tunnel's traffic. */
  tunnelDataPlane?(tunnelUuid: string): Promise<TunnelDataPlaneInfo | undefined>;
}

export interface TunnelDataPlaneInfo {
  /** The server's WireGuard interface (`vfwg<N>`). */
  interface: string;
  /** `127.0.0.1:<port>`, forwarded to the device's service port. */
  local_address: string;
  /** The device's last WireGuard handshake; null until its end is up. */
  last_handshake_at: string | null;
}
