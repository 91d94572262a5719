import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VfleetError } from '@vfleet/core';
import type { CleanupReport, DeviceLaunch, PreflightReport, RunningDevice, Runtime, RuntimeOptions } from '../types.js';
import { hostCeilings, overCeilings, readTcpMem, tcpDownloadCeiling } from './host-limits.js';
import { ensureLoopbackHosts } from './hosts-file.js';
import { execa } from 'execa';
import { forwardLines, homeHash } from './netutil.js';
import { bundleAgent } from '../image.js';
import { agentTrust, trustVariables, type AgentTrust } from './agent-trust.js';

/** bench/fleet-start.mjs, 200 devices: 10.3 MiB PSS per agent process (48 MiB RSS, most of it the shared node binary); 16.6 MiB before the lazy bundle. */
const MEMORY_PER_DEVICE = 20 * 2 ** 20;
/** Host variables an agent process inherits; the rest of the host's environment stays out (NODE_EXTRA_CA_CERTS: see agent-trust.ts). */
const INHERIT = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

export interface ProcessRuntimeOptions extends RuntimeOptions {
  /**
   * The agent entry script. Default: prepare() bundles the agent under `$VFLEET_HOME/run/process-agent/`
   * (one CommonJS file run from a V8 code cache: image.ts bundleAgent), and the built
   * simulator/dist/agent/main.js stands in when bundling is not possible (no sources).
   */
  agentEntry?: string;
  /** Flags for node before the script, after the trust store's (default: none; a V8 flag off its default costs ~30-50 ms per start: README). */
  nodeArgs?: string[];
  /**
   * The agents' public-CA trust store (agent-trust.ts): `host` (default) the host's hashed CA
   * directory, read on demand; `node` Node's bundled roots and NODE_EXTRA_CA_CERTS, read at every start.
   */
  trust?: 'host' | 'node';
}

interface PidFile {
  pid: number;
  id: string;
  deviceDir: string;
  entry: string;
  startedAt: string;
}

/** simulator/dist/agent/main.js, from src/ or dist/ alike. */
export function defaultAgentEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', '..', 'dist', 'agent', 'main.js');
}

const runDir = (home: string) => join(home, 'run', 'process');

function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Only a process whose command line is the agent this home started for that device. */
function isOurs(p: PidFile, marker: string): boolean {
  const argv = commandLine(p.pid);
  if (!argv) return false;
  const dirAt = argv.indexOf('--device-dir');
  return argv.includes(p.entry) && dirAt >= 0 && argv[dirAt + 1] === p.deviceDir && argv.includes(marker);
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

/**
 * SIGKILLs `pid` and every process below it. The agent runs its tools in process groups of their
 * own (a post-install's service, fwup, reboot_sync_cmd) and ends them as it exits, which a SIGKILL
 * skips: they lived on, found by nothing. Each process is stopped before its children are read, so
 * none forks past the walk.
 */
function killTree(pid: number): void {
  const seen = new Set<number>();
  const queue = [pid];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    if (seen.has(p)) continue;
    seen.add(p);
    try {
      process.kill(p, 'SIGSTOP');
    } catch {
      continue; // gone already
    }
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      // not Linux: the process alone
    }
    for (const t of tasks) {
      try {
        queue.push(...readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
      } catch {
        // the task ended meanwhile
      }
    }
  }
  for (const p of seen) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Each device is a child `node` process running the built `vfleet-agent` on its device directory. */
export function createProcessRuntime(opts: ProcessRuntimeOptions): Runtime {
  let entry = resolve(opts.agentEntry ?? defaultAgentEntry());
  // V8's default young generation: a 1 MiB cap (the old default here) cost ~35 ms more scavenging per start for no smaller PSS
  const nodeArgs = opts.nodeArgs ?? [];
  let trust: AgentTrust | undefined;
  const marker = `--vfleet-run=${homeHash(opts.home)}`;
  const pids = runDir(opts.home);

  return {
    name: 'process',
    async preflight(count: number): Promise<PreflightReport> {
      const ceilings = hostCeilings({ fdsPerDevice: 3, memoryPerDevice: MEMORY_PER_DEVICE, fdsNote: 'stdout and stderr pipes in the supervisor' });
      const downloads = tcpDownloadCeiling(readTcpMem());
      if (downloads !== undefined) ceilings.push(downloads);
      const problems = overCeilings(count, ceilings);
      if (!existsSync(entry)) problems.unshift(`the agent is not built: ${entry} is missing (run npm run build)`);
      return { runtime: 'process', ok: problems.length === 0, problems, ceilings, memoryPerDevice: MEMORY_PER_DEVICE };
    },
    async prepare(): Promise<void> {
      if (opts.agentEntry !== undefined) return;
      try {
        entry = (await bundleAgent({ outDir: join(opts.home, 'run', 'process-agent') })).file;
      } catch {
        // an installed build without sources or esbuild: the module tree in dist/ runs the same agent
      }
    },
    async start(launch: DeviceLaunch): Promise<RunningDevice> {
      if (!existsSync(entry)) throw new VfleetError('VFLEET_IO', `process runtime: the agent is not built: ${entry} is missing (run npm run build)`);
      const deviceDir = resolve(launch.deviceDir);
      if (!existsSync(join(deviceDir, 'peridio.json'))) throw new VfleetError('VFLEET_IO', `${deviceDir}: no peridio.json (not a device directory)`);
      ensureLoopbackHosts(deviceDir);
      trust ??= agentTrust(opts.trust === undefined ? {} : { mode: opts.trust });
      const env: Record<string, string> = {};
      for (const k of INHERIT) if (process.env[k] !== undefined) env[k] = process.env[k] as string;
      const child = execa(process.execPath, [...trust.nodeArgs, ...nodeArgs, entry, '--device-dir', deviceDir, marker], {
        env: { ...env, ...trustVariables(trust), ...launch.env },
        extendEnv: false,
        reject: false,
        cleanup: true,
        buffer: false,
        stdin: 'ignore',
      });
      forwardLines(child.stdout, 'stdout', launch.onLine);
      forwardLines(child.stderr, 'stderr', launch.onLine);
      const pid = child.pid;
      if (pid === undefined) {
        const r = await child;
        throw new VfleetError('VFLEET_IO', `process runtime: ${launch.id}: could not start node: ${String(r.shortMessage ?? 'no pid')}`);
      }
      mkdirSync(pids, { recursive: true });
      const pidFile = join(pids, `${launch.id}.pid`);
      const record: PidFile = { pid, id: launch.id, deviceDir, entry, startedAt: new Date().toISOString() };
      writeFileSync(pidFile, JSON.stringify(record) + '\n');
      const exit = child.then((r) => {
        rmSync(pidFile, { force: true });
        return { code: r.exitCode ?? null, signal: r.signal ?? null };
      });
      // only while node has not reaped it: after that the pid may be another process's
      const forceKill = () => {
        if (child.exitCode === null && child.signalCode === null) killTree(pid);
      };
      return {
        id: launch.id,
        exit,
        async stop(graceMs = 5000) {
          child.kill('SIGTERM');
          const forced = setTimeout(forceKill, graceMs);
          await exit;
          clearTimeout(forced);
        },
        async kill() {
          forceKill();
          await exit;
        },
      };
    },
    async cleanup(): Promise<CleanupReport> {
      const report: CleanupReport = { removed: [], errors: [] };
      let files: string[] = [];
      try {
        files = readdirSync(pids).filter((f) => f.endsWith('.pid'));
      } catch {
        return report;
      }
      const found: PidFile[] = [];
      for (const f of files) {
        const path = join(pids, f);
        let p: PidFile;
        try {
          p = JSON.parse(readFileSync(path, 'utf8')) as PidFile;
          if (!Number.isInteger(p.pid) || p.pid <= 1) throw new Error('no pid');
        } catch (e) {
          report.errors.push(`${path}: unreadable pid file (${(e as Error).message}); removed`);
          rmSync(path, { force: true });
          continue;
        }
        if (isOurs(p, marker)) found.push(p);
        rmSync(path, { force: true });
      }
      for (const p of found) signal(p.pid, 'SIGTERM', report);
      const end = Date.now() + 5000;
      while (found.some((p) => alive(p.pid) && isOurs(p, marker)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      for (const p of found) {
        if (alive(p.pid) && isOurs(p, marker)) killTree(p.pid);
        report.removed.push({ kind: 'process', name: `${p.id} (pid ${p.pid})` });
      }
      return report;
    },
  };
}

function signal(pid: number, sig: NodeJS.Signals, report: CleanupReport): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') report.errors.push(`kill ${sig} ${pid}: ${(e as Error).message}`);
  }
}
