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
}
