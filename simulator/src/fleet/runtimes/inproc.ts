import { VfleetError } from '@vfleet/core';
import { createAgent, REBOOT_EXIT_CODE, type Agent, type AgentOptions } from '../../agent/agent.js';
import { createDownloadSlots, type DownloadSlots } from '../../agent/update/download/download-slots.js';
import { createFlushLane, type FlushLane } from '../../agent/flush-lane.js';
import type { DeviceLaunch, PreflightReport, RunningDevice, Runtime, RuntimeOptions } from '../types.js';
import { hostCeilings, inprocDownloadSlots, overCeilings, readTcpMem, tcpDownloadCeiling } from './host-limits.js';
import { ensureLoopbackHosts } from './hosts-file.js';

/** bench/fleet-start.mjs: 231 KiB RSS per joined, polling device at 5,000 (the agent alone: ~238 KiB, bench/agent-density). */
const MEMORY_PER_DEVICE = 240 * 1024;

export interface InprocRuntimeOptions extends Partial<RuntimeOptions> {
  /** Extra agent settings (tests, benches): socket timings, updater hooks. */
  agent?: Pick<AgentOptions, 'socket' | 'updater'>;
  /** Called with each started agent (tests and the demo drive agents directly). */
  onAgent?: (id: string, agent: Agent | undefined) => void;
  /**
   * Binary downloads the devices run at once (0: no limit). Default: VFLEET_INPROC_DOWNLOADS when
   * set, else inprocDownloadSlots of this host's tcp_mem.
   */
  downloads?: number;
}

/** The download slots all devices of one in-process runtime share; undefined for no limit. */
export function inprocSlots(downloads: number | undefined, env: NodeJS.ProcessEnv = process.env): DownloadSlots | undefined {
  let limit = downloads;
  const named = env['VFLEET_INPROC_DOWNLOADS'];
  if (limit === undefined && named !== undefined && named !== '') {
    if (!/^\d{1,9}$/.test(named)) throw new VfleetError('VFLEET_CONFIG_INVALID', `VFLEET_INPROC_DOWNLOADS=${JSON.stringify(named.slice(0, 40))}: expected a whole number of downloads at once (0 for no limit)`);
    limit = Number(named);
  }
  limit ??= inprocDownloadSlots(readTcpMem());
  return limit === undefined || limit === 0 ? undefined : createDownloadSlots(limit);
}

/**
 * The threads that make the devices' env writes durable (fdatasync), apart from libuv's pool, where
 * flushes waiting behind a rollout's writeback held the threads every download write needs (1,000 x
 * 16 MiB: 41.2 s without the flushes against 43.3-45.4 s with them in the pool). They start on first use.
 */
export function inprocFlushLane(): FlushLane {
  return createFlushLane(4);
}

/** Each device is an agent object inside this process; the agent maps device paths into its directory. */
export function createInprocRuntime(opts: InprocRuntimeOptions = {}): Runtime {
  const slots = inprocSlots(opts.downloads);
  const flushes = inprocFlushLane();
  return {
    name: 'inproc',
    async preflight(count: number): Promise<PreflightReport> {
      const ceilings = hostCeilings({ fdsPerDevice: 2, memoryPerDevice: MEMORY_PER_DEVICE, fdsNote: 'socket and REST connection, one process' });
      const downloads = tcpDownloadCeiling(readTcpMem());
      if (downloads !== undefined) {
        if (slots !== undefined) downloads.note += `; this fleet runs at most ${slots.limit} at once, the rest wait their turn`;
        ceilings.push(downloads);
      }
      const problems = overCeilings(count, ceilings);
      return { runtime: 'inproc', ok: problems.length === 0, problems, ceilings, memoryPerDevice: MEMORY_PER_DEVICE };
    },
    async start(launch: DeviceLaunch): Promise<RunningDevice> {
      ensureLoopbackHosts(launch.deviceDir);
      const controller = new AbortController();
      const agent = await createAgent({
        env: launch.env,
        deviceDir: launch.deviceDir,
        signal: controller.signal,
        log: {
          format: 'console',
          // an entry is a blank line then the message, which may span lines
          sink: (entry) => {
            for (const line of entry.split('\n')) if (line !== '') launch.onLine(line, 'stdout');
          },
        },
        envFlush: flushes.flush,
        ...opts.agent,
        updater: { ...(slots === undefined ? {} : { downloadSlots: slots }), ...opts.agent?.updater },
      });
      opts.onAgent?.(launch.id, agent);
      let killed = false;
      const exit = agent.exit.then(async (e) => {
        await agent.stop();
        opts.onAgent?.(launch.id, undefined);
        if (killed) return { code: null, signal: 'SIGKILL' };
        return { code: e.reason === 'reboot' ? REBOOT_EXIT_CODE : 0, signal: null };
      });
      return {
        id: launch.id,
        exit,
        async stop() {
          controller.abort();
          await exit;
        },
        async kill() {
          killed = true;
          controller.abort();
          await exit;
        },
      };
    },
    async cleanup() {
      // nothing outlives this process
      return { removed: [], errors: [] };
    },
  };
}
