import { join } from 'node:path';
import { createAgent, type Agent, type AgentExit } from '../agent/agent.js';

export type DeviceRunState = 'starting' | 'running' | 'rebooting' | 'stopped' | 'failed';

export interface FleetDevice {
  id: string;
  state: DeviceRunState;
  boots: number;
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
    let agent: Agent;
    try {
      agent = await createAgent({
        env: {},
        deviceDir: join(opts.devicesDir, id),
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
