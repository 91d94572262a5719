import { join } from 'node:path';
import type { BootResult } from '@vfleet/core';
import { createAgent, type Agent, type AgentExit } from '../agent/agent.js';
import { virtualBoot } from './virtual-boot.js';

export type DeviceRunState = 'starting' | 'running' | 'rebooting' | 'crashed' | 'no-network' | 'stopped' | 'failed';

export interface FleetDevice {
  id: string;
  state: DeviceRunState;
  boots: number;
  /** The slot the virtual bootloader booted (A/B devices). */
  slot?: 'a' | 'b' | undefined;
  /** The last log line the agent printed (without its timestamp). */
  lastLog: string;
  error?: string;
}

export interface InprocFleetOptions {
  devicesDir: string;
  ids: string[];
  signal: AbortSignal;
  onLog?: (id: string, line: string) => void;
  /** Delay before a rebooting device starts again. */
  rebootDelayMs?: number;
}

/**
 * Runs devices as agents inside this process (the `inproc` runtime): a reboot restarts the agent,
 * a device that cannot start is marked failed with the reason and the others carry on.
 */
export function startInprocFleet(opts: InprocFleetOptions) {
  const devices = new Map<string, FleetDevice>(opts.ids.map((id) => [id, { id, state: 'starting', boots: 0, lastLog: '' }]));
  const running = new Map<string, Agent>();

  async function boot(id: string): Promise<void> {
    const d = devices.get(id) as FleetDevice;
    if (opts.signal.aborted) return;
    d.state = 'starting';
    d.boots++;
    const dir = join(opts.devicesDir, id);
    let booted: BootResult | undefined;
    try {
      booted = virtualBoot(dir);
    } catch (e) {
      d.state = 'failed';
      d.error = `boot: ${(e as Error).message.split('\n')[0] ?? ''}`;
      return;
    }
    if (booted) d.slot = booted.slot ?? undefined;
    if (booted?.outcome === 'no-bootable-slot') {
      d.state = 'failed';
      d.error = 'no bootable slot';
      return;
    }
    if (booted?.health === 'crash') {
      // the OS in this slot dies at start: the board resets, bootcount climbs, U-Boot rolls back
      d.state = 'crashed';
      d.lastLog = `slot ${booted.slot} crashed at boot (${booted.reason})`;
      if (!opts.signal.aborted) setTimeout(() => void boot(id), opts.rebootDelayMs ?? 1000);
      return;
    }
    if (booted?.health === 'no-network') {
      d.state = 'no-network';
      d.lastLog = `slot ${booted.slot} has no network`;
      return;
    }
    let agent: Agent;
    try {
      agent = await createAgent({
        env: {},
        deviceDir: dir,
        signal: opts.signal,
        log: {
          format: 'console',
          sink: (line) => {
            const text = line.trim();
            d.lastLog = text.replace(/^\d\d:\d\d:\d\d\.\d{3} /, '');
            opts.onLog?.(id, text);
          },
        },
      });
    } catch (e) {
      d.state = 'failed';
      d.error = (e as Error).message.split('\n')[0] ?? 'failed to start';
      return;
    }
    running.set(id, agent);
    d.state = 'running';
    const exit: AgentExit = await agent.exit;
    await agent.stop();
    running.delete(id);
    if (exit.reason === 'reboot' && !opts.signal.aborted) {
      d.state = 'rebooting';
      setTimeout(() => void boot(id), opts.rebootDelayMs ?? 1000);
    } else {
      d.state = 'stopped';
    }
  }

  const finished = Promise.all(opts.ids.map((id) => boot(id)));
  return {
    devices: (): FleetDevice[] => [...devices.values()],
    agent: (id: string): Agent | undefined => running.get(id),
    /** Resolves once every device has stopped for good. */
    finished,
    async stop(): Promise<void> {
      await Promise.all([...running.values()].map((a) => a.stop()));
    },
  };
}
