import { VfleetError } from '@vfleet/core';
import { attachTerminal, createAdminClient, openShell, openTunnel, terminalSize, type FleetHandle } from '@vfleet/simulator';
import type * as Tui from '@vfleet/tui';
import type { BinaryFaultSpec, RunTuiOptions } from '@vfleet/tui';
import { readDeviceDetails } from './device-details.js';

/** `--refresh`: `1s`, `500ms`, `2` (seconds); 100 ms to 60 s. */
export function refreshFlag(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : 1000) : NaN;
  if (!Number.isFinite(ms) || ms < 100 || ms > 60_000) {
    throw new VfleetError('VFLEET_USAGE', `--refresh ${JSON.stringify(value)}: expected a duration from 100ms to 60s, e.g. 1s or 500ms`);
  }
  return ms;
}

export interface ServiceSources {
  fleet: FleetHandle;
  /** Where the device directories are, when this machine holds them. */
  devicesDir?: string;
  /** The embedded backend's fault table, when the backend runs in this process. */
  faultTable?: Map<string, BinaryFaultSpec>;
}

/**
 * The TUI module with React's production build (the development build logs every prop diff: 5× the
 * CPU). Only called for a terminal: ink draws nothing but the last frame when it thinks it runs in
 * CI (`CI`/`CONTINUOUS_INTEGRATION` set), so a dashboard opened on a TTY is told it does not.
 */
export async function loadTui(): Promise<typeof Tui> {
  process.env['NODE_ENV'] ??= 'production';
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = 'false';
  return import('@vfleet/tui');
}

/** What the TUI can do besides the FleetHandle: releases, tunnels and faults through the admin API, files of the devices. */
export async function tuiServices(src: ServiceSources): Promise<Omit<RunTuiOptions, 'fleet'>> {
  const { createReleasesApi, binaryFaultInjector } = await loadTui();
  const backend = src.fleet.backend;
  const admin = backend ? createAdminClient(backend.adminUrl, backend.adminToken) : undefined;
  const releases = admin ? createReleasesApi(admin) : undefined;
  const devicesDir = src.devicesDir;
  return {
    releases,
    ...(devicesDir !== undefined ? { inspect: (id: string) => Promise.resolve().then(() => readDeviceDetails(devicesDir, id)) } : {}),
    ...(src.faultTable && releases ? { faults: binaryFaultInjector(src.faultTable, releases) } : {}),
    ...(admin && backend
      ? {
          tunnel: async (id: string, port: number) => {
            const t = await openTunnel({ client: admin, device: id, port });
            return `tunnel to ${id}:${port} open${t.local_address ? ` → ${t.local_address}` : ''} (expires ${t.expires_at})`;
          },
          shell: async (id: string, io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream }) => {
            const size = terminalSize(io.stdout);
            const session = await openShell({ adminUrl: backend.adminUrl, token: backend.adminToken, device: id, ...(size === undefined ? {} : { size }) });
            io.stdout.write(`Console of ${id}: press Enter for a prompt; Ctrl-] (or ~. after Enter) returns to the dashboard.\r\n`);
            const end = await attachTerminal(session, { stdin: io.stdin, stdout: io.stdout });
            return end.reason === 'detached' ? `shell on ${id} closed` : `shell on ${id}: ${end.message}`;
          },
        }
      : {}),
  };
}
