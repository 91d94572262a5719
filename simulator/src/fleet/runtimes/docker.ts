// docker/podman runtime: one container per device with the EVK's flags (device dir on
// /etc/peridiod, NET_ADMIN, /dev/net/tun, entrypoint override, labels), on bridge networks of about
// 1,000 endpoints each (vfleet-net-0, vfleet-net-1…) whose gateways the embedded backend listens on.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatFwEnvConfig, parseFwEnvConfig, VfleetError } from '@vfleet/core';
import { DEFAULT_AGENT_IMAGE } from '../image.js';
import { BACKEND_HOST_NAME, type CleanupReport, type DeviceLaunch, type PreflightReport, type RunningDevice, type Runtime, type RuntimeOptions } from '../types.js';
import { hostCeilings, overCeilings } from './host-limits.js';
import { attachLoop, cleanupLoops, detachLoop, type LoopAttachment } from './loop.js';
import { homeHash, safeName, spawnLong, tool, tryTool } from './netutil.js';
import { isPlainFile, readDeviceText } from '../../devices/device-files.js';

/** Estimate: the container (node agent) and its `docker logs -f` client; see README figures. */
const MEMORY_PER_DEVICE = 60 * 2 ** 20;
/** A Linux bridge with Docker's default settings holds about this many endpoints. */
export const ENDPOINTS_PER_NETWORK = 1000;
/** Docker's default address pools give about this many more /16 bridge networks. */
const NETWORKS_AVAILABLE = 30;
const DEVICE_PATH = '/etc/peridiod';
const LOOP_DISK = '/dev/mmcblk0';

export interface DockerRuntimeOptions extends RuntimeOptions {
  engine?: 'docker' | 'podman';
  /** Container names are `<prefix><device id>` (default `vfleet-`); tests use their own. */
  namePrefix?: string;
  /** Networks are `<prefix><n>` (default `vfleet-net-`). */
  networkPrefix?: string;
  endpointsPerNetwork?: number;
}

export type DockerRuntime = Runtime & {
  /** Gateways of the vfleet networks, known after `prepare()`: the backend listens there. */
  backendListenHosts(): string[];
};

interface Shard {
  name: string;
  gateway: string;
  used: number;
}

/** The real peridiod image wants the EVK's entrypoint, command and a TTY (start_iex). */
export function isPeridiodImage(image: string): boolean {
  return /(^|\/)peridio\/peridiod(:|@|$)/.test(image);
}

/** Gateway of a network from `inspect` JSON: Docker's IPAM.Config or podman's subnets. */
export function networkGateway(inspectJson: string): string | undefined {
  const parsed = JSON.parse(inspectJson) as Array<{ IPAM?: { Config?: Array<{ Gateway?: string }> }; subnets?: Array<{ gateway?: string }> }>;
  const net = parsed[0];
  return net?.IPAM?.Config?.find((c) => c.Gateway)?.Gateway ?? net?.subnets?.find((s) => s.gateway)?.gateway;
}

/** fw_env.config with the copies kept in the device's disk.img moved to the loop device. */
export function loopFwEnvConfig(text: string): string {
  const cfg = parseFwEnvConfig(text);
  if (!cfg.copies.some((c) => c.path === `${DEVICE_PATH}/disk.img`)) return text;
  return formatFwEnvConfig({ ...cfg, copies: cfg.copies.map((c) => (c.path === `${DEVICE_PATH}/disk.img` ? { ...c, path: LOOP_DISK } : c)) });
}

export function createDockerRuntime(opts: DockerRuntimeOptions): DockerRuntime {
  const engine = opts.engine ?? 'docker';
  const image = opts.image ?? DEFAULT_AGENT_IMAGE;
  const home = resolve(opts.home);
  const hash = homeHash(home);
  const namePrefix = opts.namePrefix ?? 'vfleet-';
  const networkPrefix = opts.networkPrefix ?? 'vfleet-net-';
  const perNetwork = opts.endpointsPerNetwork ?? ENDPOINTS_PER_NETWORK;
  const peridiod = isPeridiodImage(image);
  const shards: Shard[] = [];
  let planned = 1;

  const engineError = (what: string, e: unknown): VfleetError =>
    new VfleetError('VFLEET_IO', `${engine}: ${what}: ${(e as Error).message}`, { cause: e });

  async function ensureNetwork(index: number): Promise<Shard> {
    const name = `${networkPrefix}${index}`;
    let inspect = await tool(engine, ['network', 'inspect', name]);
    if (inspect.code !== 0) {
      const created = await tool(engine, ['network', 'create', '--driver', 'bridge', '--label', 'vfleet=1', '--label', `vfleet.home=${hash}`, name]);
      // another fleet may have created it in between: inspect decides
      inspect = await tool(engine, ['network', 'inspect', name]);
      if (inspect.code !== 0) throw new VfleetError('VFLEET_IO', `${engine} network create ${name}: ${created.stderr.trim() || inspect.stderr.trim()}`);
    }
    const gateway = networkGateway(inspect.stdout);
    if (gateway === undefined) throw new VfleetError('VFLEET_IO', `${engine} network ${name} has no gateway address to reach the backend on`);
    const shard = { name, gateway, used: 0 };
    shards[index] = shard;
    return shard;
  }

  async function containerHome(name: string): Promise<string | undefined> {
    const r = await tool(engine, ['container', 'inspect', '--format', '{{index .Config.Labels "vfleet.home"}}', name]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  async function removeContainer(name: string): Promise<void> {
    await tool(engine, ['rm', '-f', name]);
  }

  /** `run --detach`: made and started by one client, which prints the id once the container runs. */
  function runArgs(launch: DeviceLaunch, name: string, shard: Shard, loop: LoopAttachment | undefined, fwEnvOverride: string | undefined): string[] {
    const args = [
      'run', '--detach', '--name', name, '--hostname', launch.id,
      '--label', 'vfleet=1', '--label', `vfleet.device=${launch.id}`, '--label', `vfleet.home=${hash}`,
      '--network', shard.name, '--add-host', `${BACKEND_HOST_NAME}:${shard.gateway}`,
      '--cap-add', 'NET_ADMIN', '--device', '/dev/net/tun',
      // an init as PID 1 reaps what tunnels and consoles leave (sshd, wireguard-go), forwards signals and exit codes
      '--init',
      '--mount', `type=bind,source=${resolve(launch.deviceDir)},target=${DEVICE_PATH}`,
    ];
    // an A/B board's hardware revision (swupdate checks a .swu against it), as the device's own /etc/hwrevision
    const hwrevision = join(resolve(launch.deviceDir), 'root', 'etc', 'hwrevision');
    // the engine follows links in a bind source on the host: a device's link must not bring a host file in
    if (isPlainFile(resolve(launch.deviceDir), hwrevision)) args.push('--mount', `type=bind,source=${hwrevision},target=/etc/hwrevision,readonly`);
    if (loop !== undefined) {
      args.push('--device', `${loop.device}:${LOOP_DISK}`);
      loop.partitions.forEach((p, i) => args.push('--device', `${p}:${LOOP_DISK}p${i + 1}`));
      args.push('--env', `VFLEET_LOOP_DEVICES=${LOOP_DISK}`);
      if (fwEnvOverride !== undefined) args.push('--mount', `type=bind,source=${fwEnvOverride},target=${DEVICE_PATH}/fw_env.config,readonly`);
    }
    // names only: the values reach the engine through the client's environment, never its command line
    for (const k of Object.keys(launch.env)) args.push('--env', k);
    if (peridiod) {
      args.push('--interactive', '--tty', '--env', 'PERIDIO_LOG_LEVEL=debug', '--entrypoint', `${DEVICE_PATH}/entrypoint.sh`, image, '/opt/peridiod/bin/peridiod', 'start_iex');
    } else {
      args.push('--entrypoint', '/usr/local/bin/vfleet-agent', image);
    }
    return args;
  }

  async function pickShard(): Promise<Shard> {
    for (const s of shards) if (s !== undefined && s.used < perNetwork) return s;
    throw new VfleetError(
      'VFLEET_USAGE',
      `${engine}: all ${shards.length} vfleet network(s) hold ${perNetwork} devices each; the backend listens only on the gateways prepared at start (start the fleet with a larger count)`,
    );
  }

  return {
    name: engine,

    async preflight(count: number): Promise<PreflightReport> {
      planned = Math.max(1, count);
      const problems: string[] = [];
      const info = await tryTool(engine, ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
      if (info.code !== 0) problems.push(`${engine} engine does not answer: ${info.stderr.trim() || `exit ${info.code}`}`);
      else if ((await tool(engine, ['image', 'inspect', '--format', '{{.Id}}', image])).code !== 0) {
        problems.push(`image ${image} is not there: ${peridiod ? `${engine} pull ${image}` : 'vfleet image build --offline'}`);
      }
      if (opts.disk === 'loop') {
        if (process.getuid?.() !== 0) problems.push('--disk loop needs root (losetup)');
        if ((await tool('sh', ['-c', 'command -v losetup && command -v partx'])).code !== 0) problems.push('--disk loop needs losetup and partx (util-linux)');
      }
      const networks = Math.ceil(planned / perNetwork);
      const ceilings = [
        {
          what: 'bridge network endpoints',
          limit: perNetwork * NETWORKS_AVAILABLE,
          note: `about ${perNetwork} endpoints per bridge: ${planned} devices use ${networks} network(s) ${networkPrefix}0…${networkPrefix}${networks - 1}; the default address pools hold about ${NETWORKS_AVAILABLE}`,
        },
        ...hostCeilings({ fdsPerDevice: 3, memoryPerDevice: MEMORY_PER_DEVICE, fdsNote: `pipes to its ${engine} logs -f client` }),
      ];
      problems.push(...overCeilings(count, ceilings));
      return { runtime: engine, ok: problems.length === 0, problems, ceilings, memoryPerDevice: MEMORY_PER_DEVICE };
    },

    async prepare(): Promise<void> {
      const want = Math.ceil(planned / perNetwork);
      for (let i = 0; i < want; i++) if (shards[i] === undefined) await ensureNetwork(i);
    },

    backendListenHosts: () => shards.filter((s) => s !== undefined).map((s) => s.gateway),

    async start(launch: DeviceLaunch): Promise<RunningDevice> {
      const name = safeName('container name', `${namePrefix}${launch.id}`);
      if (shards.length === 0) await ensureNetwork(0);
      const shard = await pickShard();
      let loop: LoopAttachment | undefined;
      let fwEnvOverride: string | undefined;
      // by id from here on: a later container may reuse the name
      let containerId = '';
      shard.used++;
      try {
        // a device without a disk runs as it is; one with a disk gets it as /dev/mmcblk0
        if (opts.disk === 'loop' && existsSync(join(launch.deviceDir, 'disk.img'))) {
          loop = await attachLoop(home, launch.id, launch.deviceDir);
          const cfgText = readDeviceText(launch.deviceDir, 'fw_env.config', 64 * 1024) ?? '';
          const moved = loopFwEnvConfig(cfgText);
          if (moved !== cfgText) {
            const dir = join(home, 'run', 'loop');
            mkdirSync(dir, { recursive: true });
            fwEnvOverride = join(dir, `${launch.id}.fw_env.config`);
            writeFileSync(fwEnvOverride, moved);
          }
        }
        const args = runArgs(launch, name, shard, loop, fwEnvOverride);
        const withEnv = { env: launch.env };
        let ran = await tool(engine, args, withEnv);
        if (ran.code !== 0 && /already in use|already exists/i.test(ran.stderr)) {
          // the name is taken: a container left by a crash of this fleet is replaced, anything else is refused
          const owner = await containerHome(name);
          if (owner !== hash) throw new VfleetError('VFLEET_USAGE', `${engine}: container ${name} exists and is not this fleet's (label vfleet.home=${owner || 'none'}); remove it or pick another prefix`);
          await removeContainer(name);
          ran = await tool(engine, args, withEnv);
        }
        if (ran.code !== 0) {
          // the engine's reason, without the client's "See 'docker run --help'." line
          const lines = ran.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/ --help'/.test(l));
          const why = new Error(lines.slice(-2).join(' | ') || `exit ${ran.code}`);
          // made but not started (the engine resolves --device paths only at start): this run's, so removed
          const made = (await containerHome(name)) === hash;
          if (made) await removeContainer(name);
          throw engineError(`cannot ${made ? 'start' : 'create'} the container of ${launch.id}`, why);
        }
        containerId = ran.stdout.trim().split('\n').pop() ?? '';
      } catch (e) {
        shard.used--;
        if (loop !== undefined) await detachLoop(home, loop).catch(() => undefined);
        throw e;
      }

      // running before start() returns (run --detach prints the id once started), so a stop or kill never races the start
      const id = containerId;
      let killed = false;
      // the log from its first line (json-file keeps it), until the container stops
      const follow = spawnLong(engine, ['logs', '--follow', id], { onLine: launch.onLine });
      const exit = follow.exit.then(async (r) => {
        // the container's exit code (wait returns at once for a stopped one); the client's when the engine is gone
        const waited = await tool(engine, ['wait', id], { timeoutMs: 24 * 3600_000 }).catch(() => undefined);
        const code = waited?.code === 0 && /^\d+$/.test(waited.stdout.trim()) ? Number(waited.stdout.trim()) : undefined;
        await removeContainer(id).catch(() => undefined);
        if (loop !== undefined) await detachLoop(home, loop).catch(() => undefined);
        if (fwEnvOverride !== undefined) rmSync(fwEnvOverride, { force: true });
        shard.used--;
        // no exit code: the container was removed from outside, or the engine is gone. Not a clean
        // exit (the log client's 0 says nothing about the device), so it counts as killed.
        if (code === undefined || (killed && code === 137)) return { code: null, signal: 'SIGKILL' };
        return { code, signal: r.signal };
      });
      return {
        id: launch.id,
        exit,
        async stop(graceMs = 10_000) {
          await tool(engine, ['stop', '--time', String(Math.max(0, Math.ceil(graceMs / 1000))), id], { timeoutMs: graceMs + 30_000 });
          await exit;
        },
        async kill() {
          killed = true;
          await tool(engine, ['kill', '--signal', 'KILL', id]);
          await exit;
        },
      };
    },

    async cleanup(): Promise<CleanupReport> {
      const report: CleanupReport = { removed: [], errors: [] };
      const label = `label=vfleet.home=${hash}`;
      // no engine installed: it holds nothing of ours (loop devices may still be recorded)
      if ((await tryTool('sh', ['-c', `command -v ${engine}`])).code === 0) await removeEngineObjects(report, label);
      // after the containers: a loop device is detached once nothing holds it
      const loops = await cleanupLoops(home);
      report.removed.push(...loops.removed);
      report.errors.push(...loops.errors);
      shards.length = 0;
      return report;
    },
  };

  async function removeEngineObjects(report: CleanupReport, label: string): Promise<void> {
    const containers = await tryTool(engine, ['ps', '--all', '--filter', label, '--format', '{{.Names}}']);
    if (containers.code !== 0) report.errors.push(`${engine} ps: ${containers.stderr.trim()}`);
    for (const name of containers.stdout.split('\n').filter(Boolean)) {
      const r = await tryTool(engine, ['rm', '-f', name]);
      if (r.code === 0) report.removed.push({ kind: 'container', name });
      else report.errors.push(`container ${name}: ${r.stderr.trim()}`);
    }
    const networks = await tryTool(engine, ['network', 'ls', '--filter', label, '--format', '{{.Name}}']);
    if (networks.code !== 0) report.errors.push(`${engine} network ls: ${networks.stderr.trim()}`);
    for (const name of networks.stdout.split('\n').filter(Boolean)) {
      const r = await tryTool(engine, ['network', 'rm', name]);
      if (r.code === 0) report.removed.push({ kind: 'network', name });
      else report.errors.push(`network ${name}: ${r.stderr.trim()}`);
    }
  }
}
