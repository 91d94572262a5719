// docker/podman runtime: one container per device with the EVK's flags (device dir on
// /etc/peridiod, NET_ADMIN, /dev/net/tun, entrypoint override, labels), on bridge networks of about
// 1,000 endpoints each (vfleet-<home>-net-0, -1…, per home) whose gateways the embedded backend listens on.
import { lstatSync, mkdirSync, rmSync, writeFileSync, type BigIntStats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { formatFwEnvConfig, parseFwEnvConfig, VfleetError } from '@vfleet/core';
import { DEFAULT_AGENT_IMAGE, imageRefProblem } from '../image.js';
import { BACKEND_HOST_NAME, type CleanupReport, type DeviceLaunch, type PreflightReport, type RunningDevice, type Runtime, type RuntimeOptions } from '../types.js';
import { hostCeilings, overCeilings } from './host-limits.js';
import { attachLoop, cleanupLoops, detachLoop, type LoopAttachment } from './loop.js';
import { homeHash, safeName, spawnLong, tool, tryTool } from './netutil.js';
import { readDeviceText } from '../../devices/device-files.js';

/** Estimate: the container (node agent) and its `docker logs -f` client; see README figures. */
const MEMORY_PER_DEVICE = 60 * 2 ** 20;
/** A Linux bridge with Docker's default settings holds about this many endpoints. */
export const ENDPOINTS_PER_NETWORK = 1000;
/** Docker's default address pools give about this many more /16 bridge networks. */
const NETWORKS_AVAILABLE = 30;
const DEVICE_PATH = '/etc/peridiod';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names the engine client reads itself (or that pick which client runs): an agent's value must not steer it. */
const CLIENT_ENV = /^(PATH|HOME|TMPDIR|LD_\w*|DOCKER_\w*|CONTAINERS?_\w*|XDG_\w*|REGISTRY_AUTH_FILE|GO\w*|(HTTPS?|NO|ALL)_PROXY)$/i;
const LOOP_DISK = '/dev/mmcblk0';

export interface DockerRuntimeOptions extends RuntimeOptions {
  engine?: 'docker' | 'podman';
  /** Container names are `<prefix><device id>` (default `vfleet-`); tests use their own. */
  namePrefix?: string;
  /** Networks are `<prefix><n>` (default `vfleet-<5 hex of the home's hash>-net-`). */
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

/** `--mount` value: the engines read it as one CSV record, so a path with `,` or `"` is quoted (or it would add options). */
export function bindMount(source: string, target: string, readonly = false): string {
  const field = (f: string) => (/[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f);
  return ['type=bind', `source=${source}`, `target=${target}`, ...(readonly ? ['readonly'] : [])].map(field).join(',');
}

/** The `vfleet.home` label of a network from `inspect` JSON (Docker's Labels, podman's labels). */
export function networkHome(inspectJson: string): string | undefined {
  const parsed = JSON.parse(inspectJson) as Array<{ Labels?: Record<string, string> | null; labels?: Record<string, string> | null }>;
  const net = parsed[0];
  return (net?.Labels ?? net?.labels ?? {})['vfleet.home'];
}

/** fw_env.config with the copies kept in the device's disk.img moved to the loop device. */
export function loopFwEnvConfig(text: string, source = 'fw_env.config'): string {
  const cfg = parseFwEnvConfig(text, source);
  if (!cfg.copies.some((c) => c.path === `${DEVICE_PATH}/disk.img`)) return text;
  return formatFwEnvConfig({ ...cfg, copies: cfg.copies.map((c) => (c.path === `${DEVICE_PATH}/disk.img` ? { ...c, path: LOOP_DISK } : c)) });
}

export function createDockerRuntime(opts: DockerRuntimeOptions): DockerRuntime {
  const engine = opts.engine ?? 'docker';
  const image = opts.image ?? DEFAULT_AGENT_IMAGE;
  const home = resolve(opts.home);
  const hash = homeHash(home);
  const namePrefix = opts.namePrefix ?? 'vfleet-';
  // per home, as the namespace runtime's: one workspace's `down` must not take another's network away
  const networkPrefix = opts.networkPrefix ?? `vfleet-${hash.slice(0, 5)}-net-`;
  const perNetwork = opts.endpointsPerNetwork ?? ENDPOINTS_PER_NETWORK;
  const peridiod = isPeridiodImage(image);
  const shards: Shard[] = [];
  const runDir = join(home, 'run', 'docker');
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
    const owner = networkHome(inspect.stdout);
    if (owner !== hash) throw new VfleetError('VFLEET_USAGE', `${engine}: network ${name} exists and is not this fleet's (label vfleet.home=${owner ?? 'none'}); remove it or pick another network prefix`);
    const gateway = networkGateway(inspect.stdout);
    if (gateway === undefined) throw new VfleetError('VFLEET_IO', `${engine} network ${name} has no gateway address to reach the backend on`);
    const shard = { name, gateway, used: 0 };
    shards[index] = shard;
    return shard;
  }

  /** A file of this start's own under $VFLEET_HOME/run/docker: a container of the same name ending meanwhile removes only its own. */
  function runFile(base: string): string {
    mkdirSync(runDir, { recursive: true });
    return join(runDir, `${randomBytes(4).toString('hex')}.${base}`);
  }

  /** The container a name points at now, by id: what is checked is what gets removed, whoever takes the name next. */
  async function containerByName(name: string): Promise<{ id: string; home: string } | undefined> {
    const r = await tool(engine, ['container', 'inspect', '--format', '{{.Id}} {{index .Config.Labels "vfleet.home"}}', name]);
    if (r.code !== 0) return undefined;
    const [id, home] = listed(r.stdout.trim())[0] ?? ['', ''];
    return { id, home: id === home ? '' : home };
  }

  async function removeContainer(idOrName: string): Promise<void> {
    await tool(engine, ['rm', '-f', idOrName]);
  }

  /** `run --detach`: made and started by one client, which prints the id once the container runs. */
  function runArgs(launch: DeviceLaunch, name: string, shard: Shard, loop: LoopAttachment | undefined, fwEnvOverride: string | undefined, hwrevision: string | undefined): string[] {
    const args = [
      'run', '--detach', '--name', name, '--hostname', launch.id,
      '--label', 'vfleet=1', '--label', `vfleet.device=${launch.id}`, '--label', `vfleet.home=${hash}`,
      '--network', shard.name, '--add-host', `${BACKEND_HOST_NAME}:${shard.gateway}`,
      '--cap-add', 'NET_ADMIN', '--device', '/dev/net/tun',
      // an init as PID 1 reaps what tunnels and consoles leave (sshd, wireguard-go), forwards signals and exit codes
      '--init',
      '--mount', bindMount(resolve(launch.deviceDir), DEVICE_PATH),
    ];
    // an A/B board's hardware revision (swupdate checks a .swu against it), as the device's own /etc/hwrevision
    if (hwrevision !== undefined) args.push('--mount', bindMount(hwrevision, '/etc/hwrevision', true));
    if (loop !== undefined) {
      args.push('--device', `${loop.device}:${LOOP_DISK}`);
      loop.partitions.forEach((p, i) => args.push('--device', `${p}:${LOOP_DISK}p${i + 1}`));
      args.push('--env', `VFLEET_LOOP_DEVICES=${LOOP_DISK}`);
      if (fwEnvOverride !== undefined) args.push('--mount', bindMount(fwEnvOverride, `${DEVICE_PATH}/fw_env.config`, true));
    }
    // names only: the values reach the engine through the client's environment, never its command line;
    // except those the client itself reads, whose values go on the command line
    for (const [k, v] of Object.entries(launch.env)) {
      if (!ENV_NAME.test(k)) throw new VfleetError('VFLEET_USAGE', `${engine}: env name ${JSON.stringify(k)} for ${launch.id}: expected [A-Za-z_][A-Za-z0-9_]*`);
      args.push('--env', CLIENT_ENV.test(k) ? `${k}=${v}` : k);
    }
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
      const badImage = imageRefProblem(image);
      if (badImage !== undefined) problems.push(`image ${badImage}`);
      const info = await tryTool(engine, ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
      if (info.code !== 0) problems.push(`${engine} engine does not answer: ${info.stderr.trim() || `exit ${info.code}`}`);
      else if (badImage === undefined && (await tool(engine, ['image', 'inspect', '--format', '{{.Id}}', image])).code !== 0) {
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
      const badImage = imageRefProblem(image);
      if (badImage !== undefined) throw new VfleetError('VFLEET_USAGE', `${engine}: image ${badImage}`);
      if (shards.length === 0) await ensureNetwork(0);
      const shard = await pickShard();
      let loop: LoopAttachment | undefined;
      let fwEnvOverride: string | undefined;
      let hwrevision: string | undefined;
      let disk: BigIntStats | undefined;
      // by id from here on: a later container may reuse the name
      let containerId = '';
      shard.used++;
      try {
        // a device without a disk runs as it is; one with a disk gets it as /dev/mmcblk0
        disk = opts.disk === 'loop' ? lstatOrUndefined(join(launch.deviceDir, 'disk.img')) : undefined;
        if (disk !== undefined) {
          loop = await attachLoop(home, launch.id, launch.deviceDir);
          await requireLoopOf(loop, disk);
          const cfgText = readDeviceText(launch.deviceDir, 'fw_env.config', 64 * 1024);
          // none: the container sees the device's directory as it is, as without --disk loop
          const moved = cfgText === undefined ? undefined : loopFwEnvConfig(cfgText, join(launch.deviceDir, 'fw_env.config'));
          if (moved !== undefined && moved !== cfgText) {
            fwEnvOverride = runFile(`${name}.fw_env.config`);
            writeFileSync(fwEnvOverride, moved);
          }
        }
        hwrevision = copyHwrevision(launch.deviceDir, runFile(`${name}.hwrevision`));
        const args = runArgs(launch, name, shard, loop, fwEnvOverride, hwrevision);
        const withEnv = { env: Object.fromEntries(Object.entries(launch.env).filter(([k]) => !CLIENT_ENV.test(k))) };
        let ran = await tool(engine, args, withEnv);
        if (ran.code !== 0 && /already in use|already exists/i.test(ran.stderr)) {
          // the name is taken: a container left by a crash of this fleet is replaced, anything else is refused
          const holder = await containerByName(name);
          if (holder !== undefined && holder.home !== hash) throw new VfleetError('VFLEET_USAGE', `${engine}: container ${name} exists and is not this fleet's (label vfleet.home=${holder.home || 'none'}); remove it or pick another prefix`);
          if (holder !== undefined) await removeContainer(holder.id);
          ran = await tool(engine, args, withEnv);
        }
        if (ran.code !== 0) {
          // the engine's reason, without the client's "See 'docker run --help'." line
          const lines = ran.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/ --help'/.test(l));
          const why = new Error(lines.slice(-2).join(' | ') || `exit ${ran.code}`);
          // made but not started (the engine resolves --device paths only at start): this run's, so removed
          const holder = await containerByName(name);
          const made = holder?.home === hash;
          if (made) await removeContainer(holder.id);
          throw engineError(`cannot ${made ? 'start' : 'create'} the container of ${launch.id}`, why);
        }
        containerId = ran.stdout.trim().split('\n').pop() ?? '';
      } catch (e) {
        shard.used--;
        if (loop !== undefined) await releaseLoop(home, loop, disk).catch(() => undefined);
        for (const f of [fwEnvOverride, hwrevision]) if (f !== undefined) rmSync(f, { force: true });
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
        if (loop !== undefined) await releaseLoop(home, loop, disk).catch(() => undefined);
        for (const f of [fwEnvOverride, hwrevision]) if (f !== undefined) rmSync(f, { force: true });
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
      // the bind sources of the containers just removed (a crash leaves them behind)
      if (report.errors.length === 0) rmSync(runDir, { recursive: true, force: true });
      // after the containers: a loop device is detached once nothing holds it
      const loops = await cleanupLoops(home);
      report.removed.push(...loops.removed);
      report.errors.push(...loops.errors);
      shards.length = 0;
      return report;
    },
  };

  // by id: a name listed here may be another workspace's container by the time it is removed
  async function removeEngineObjects(report: CleanupReport, label: string): Promise<void> {
    const containers = await tryTool(engine, ['ps', '--all', '--no-trunc', '--filter', label, '--format', '{{.ID}} {{.Names}}']);
    if (containers.code !== 0) report.errors.push(`${engine} ps: ${containers.stderr.trim()}`);
    for (const [id, name] of listed(containers.stdout)) {
      const r = await tryTool(engine, ['rm', '-f', id]);
      if (gone(r)) continue;
      if (r.code === 0) report.removed.push({ kind: 'container', name });
      else report.errors.push(`container ${name}: ${r.stderr.trim()}`);
    }
    const networks = await tryTool(engine, ['network', 'ls', '--no-trunc', '--filter', label, '--format', '{{.ID}} {{.Name}}']);
    if (networks.code !== 0) report.errors.push(`${engine} network ls: ${networks.stderr.trim()}`);
    for (const [id, name] of listed(networks.stdout)) {
      const r = await tryTool(engine, ['network', 'rm', id]);
      if (gone(r)) continue;
      if (r.code === 0) report.removed.push({ kind: 'network', name });
      else report.errors.push(`network ${name}: ${r.stderr.trim()}`);
    }
  }
}

/** `<id> <name>` lines of ps / network ls. */
function listed(stdout: string): Array<[string, string]> {
  return stdout.split('\n').filter(Boolean).map((l) => {
    const sp = l.indexOf(' ');
    return sp < 0 ? [l, l] : [l.slice(0, sp), l.slice(sp + 1)];
  });
}

/** Removed meanwhile (its own exit, another cleanup): nothing this cleanup removed, no error either. */
const gone = (r: { stderr: string }): boolean => /no such (container|network)|not found/i.test(r.stderr);

/**
 * The device's root/etc/hwrevision copied to `to` (a file of the host's), or undefined when it is not
 * a small regular file. The engine resolves a bind source itself, later: a path in the device
 * directory could be a link to a host file by then (a container of the device may still run).
 */
function copyHwrevision(deviceDir: string, to: string): string | undefined {
  let text: string | undefined;
  try {
    text = readDeviceText(resolve(deviceDir), join('root', 'etc', 'hwrevision'), 4096);
  } catch {
    text = undefined;
  }
  if (text === undefined) return undefined;
  writeFileSync(to, text);
  return to;
}

function lstatOrUndefined(file: string): BigIntStats | undefined {
  try {
    return lstatSync(file, { bigint: true });
  } catch {
    return undefined;
  }
}

/** Whether `device` is a loop device backed now by the file `file` (the same inode on the same filesystem). */
async function loopBacks(device: string, file: BigIntStats): Promise<boolean> {
  const r = await tool('losetup', ['--list', '--json', '--output', 'NAME,BACK-INO,BACK-MAJ:MIN', device]);
  let back: { 'back-ino'?: number | string; 'back-maj:min'?: string } | undefined;
  try {
    back = (JSON.parse(r.stdout) as { loopdevices?: Array<typeof back> }).loopdevices?.[0];
  } catch {
    back = undefined;
  }
  // glibc's major()/minor() of st_dev
  const major = ((file.dev >> 8n) & 0xfffn) | ((file.dev >> 32n) & ~0xfffn);
  const minor = (file.dev & 0xffn) | ((file.dev >> 12n) & 0xffffff00n);
  return file.isFile() && back !== undefined && String(back['back-ino']) === String(file.ino) && back['back-maj:min']?.trim() === `${major}:${minor}`;
}

async function detachDevice(device: string): Promise<void> {
  await tool('partx', ['--delete', device]).catch(() => undefined);
  await tool('losetup', ['--detach', device]).catch(() => undefined);
}

/**
 * The loop device must be backed by the very file checked as disk.img: the device can swap the name
 * for a link between that check and losetup's open, which would hand it a host disk as /dev/mmcblk0.
 */
async function requireLoopOf(loop: LoopAttachment, checked: BigIntStats): Promise<void> {
  if (await loopBacks(loop.device, checked)) return;
  // not what was checked, so detachLoop (which matches the recorded path) would leave it: detached here
  await detachDevice(loop.device);
  throw new VfleetError('VFLEET_IO', `--disk loop: ${loop.device} is not backed by the disk.img checked at ${loop.backingFile} (the device replaced it while it was attached); detached`);
}

/** Detaches the device's loop by the inode it was attached to: the device may have renamed or removed its disk.img since, which detachLoop's path match misses. */
async function releaseLoop(home: string, loop: LoopAttachment, disk: BigIntStats | undefined): Promise<void> {
  if (disk !== undefined && (await loopBacks(loop.device, disk))) await detachDevice(loop.device);
  await detachLoop(home, loop);
}
