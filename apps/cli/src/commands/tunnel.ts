import type { Command } from 'commander';
import { VfleetError } from '@vfleet/core';
import { closeTunnel, listTunnels, openTunnel, resolveDevice, type TunnelRow } from '@vfleet/simulator';
import { adminFrom, adminUrlOption, printable, table } from '../admin.js';

/** `--ttl 1h` / `30m` / `90s` / `3600` → seconds (1 s … 24 h). */
export function ttlSeconds(text: string): number {
  const m = /^(\d+)\s*(s|m|h)?$/.exec(text.trim());
  const n = m ? Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(n >= 1 && n <= 86_400)) throw new VfleetError('VFLEET_USAGE', `--ttl ${JSON.stringify(text)}: expected a duration from 1s to 24h, e.g. 90s, 30m or 1h`);
  return n;
}

function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new VfleetError('VFLEET_USAGE', `PORT ${JSON.stringify(text)}: expected a port number from 1 to 65535`);
  return n;
}

const row = (t: TunnelRow, identifier: string | undefined) => [
  t.prn, identifier ?? t.device_uuid, t.device_tunnel_port, t.state, t.local_address, t.device_proxy_ip_address, t.expires_at, t.close_reason,
];

export function registerTunnel(program: Command): void {
  const tunnel = program
    .command('tunnel')
    .description('remote access tunnels: `vfleet tunnel ID PORT` opens one and prints the local address')
    .argument('[device]', 'device identifier (EI-ML-0001), UUID or PRN')
    .argument('[port]', 'device port (must be in the device\'s service_ports, e.g. 22)')
    .option('--ttl <duration>', 'how long the tunnel lives (90s, 30m, 1h)', '1h')
    .option('--timeout <seconds>', 'how long the device has to open it', '30')
    .option(...adminUrlOption) // read by the subcommands too (commander gives it to the parent)
    .action(async (device: string | undefined, portText: string | undefined, flags: { ttl: string; timeout: string; adminUrl: string }) => {
      if (device === undefined || portText === undefined) throw new VfleetError('VFLEET_USAGE', 'tunnel: expected DEVICE PORT (or a subcommand: ls, close)');
      const t = await openTunnel({
        client: adminFrom(program, flags),
        device,
        port: port(portText),
        ttlSeconds: ttlSeconds(flags.ttl),
        timeoutMs: Number(flags.timeout) * 1000,
      });
      // what the backend answered is printed escaped: it may quote a device
      if (t.local_address === null) {
        console.log(printable(`${t.prn} open on the device (${t.device_proxy_ip_address ?? '?'}), but this backend carries no tunnel traffic (it needs root, /dev/net/tun and wireguard-go)`));
        return;
      }
      console.log(printable(t.local_address));
      console.error(printable(`${t.prn} → ${device}:${t.device_tunnel_port} until ${t.expires_at}; close with: vfleet tunnel close ${t.prn}`));
    });
  tunnel
    .command('ls')
    .description('tunnels in the backend')
    .option('--all', 'closed ones too')
    .option('--device <id>', 'only this device\'s')
    .action(async (flags: { all?: boolean; device?: string }) => {
      const client = adminFrom(program, tunnel.opts<{ adminUrl: string }>());
      const rows = (await listTunnels(client, flags.device === undefined ? {} : { device: flags.device })).filter((t) => flags.all === true || t.state !== 'closed');
      const names = new Map<string, string>();
      for (const uuid of new Set(rows.map((t) => t.device_uuid))) {
        names.set(uuid, (await resolveDevice(client, uuid).catch(() => ({ identifier: uuid }))).identifier);
      }
      table(['PRN', 'DEVICE', 'PORT', 'STATE', 'LOCAL', 'DEVICE IP', 'EXPIRES', 'CLOSE REASON'], rows.map((t) => row(t, names.get(t.device_uuid))));
    });
  tunnel
    .command('close <prn>')
    .description('close a tunnel (PRN or UUID): the device is told, the server end goes')
    .action(async (prn: string) => {
      const t = await closeTunnel(adminFrom(program, tunnel.opts<{ adminUrl: string }>()), prn);
      console.log(printable(`${t.prn} ${t.state} (${t.close_reason ?? '-'})`));
    });
}
