// namespace runtime: each device is `unshare` mount/pid/uts/ipc inside its own `ip netns`, with a
// veth on the vfleet bridge and a private root: an overlay of the host's / whose upper layer is the
// device directory's root/ (the same place the process runtime maps paths to), the device directory
// on /etc/peridiod. Root only. Everything is named with vfleet's prefixes and recorded under run/.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { bundleAgent, repoRoot } from '../image.js';
import { BACKEND_HOST_NAME, type CleanupReport, type DeviceLaunch, type PreflightReport, type RunningDevice, type Runtime, type RuntimeOptions } from '../types.js';
import { hostCeilings, overCeilings } from './host-limits.js';
import { execa } from 'execa';
import { addressIn16, forwardLines, homeHash, interfaceName, mustTool, safeName, tool, tryTool } from './netutil.js';
import { jsonRegistry } from './json-registry.js';
import { mkdirInDevice, writeDeviceFile } from '../../devices/device-files.js';
import { agentTrust, trustVariables, type AgentTrust } from './agent-trust.js';

/** One Node agent process per device (RSS of a joined, polling agent). */
const MEMORY_PER_DEVICE = 45 * 2 ** 20;

export interface NamespaceRuntimeOptions extends RuntimeOptions {
  /** Bridge name (default `vfleet0`). */
  bridge?: string;
  /** First two octets of the bridge's /16 (default "10.213"): the bridge is .0.1, devices from .0.2 on. */
  subnet16?: string;
  /** netns names are `<prefix><device id>` (default `vfleet-<home hash>-`). */
  netnsPrefix?: string;
  /** Host-side veth names are `<prefix><n in base 36>` (default `vf<home hash>`), at most 15 bytes in all. */
  vethPrefix?: string;
  /**
   * The agent command. Default: this node running the agent bundled into one file at `prepare()`
   * (a third of the start-up CPU of simulator/dist/agent/main.js, which is the fallback without esbuild).
   */
  agentCommand?: string[];
}

export type NamespaceRuntime = Runtime & { backendListenHosts(): string[] };

interface Slot {
  id: string;
  netns: string;
  veth: string;
  address: string;
  index: number;
}

// Started from the supervisor: makes the device's netns, its veth pair and the bridge port (one
// `ip -batch`; a netns left by a crash of this fleet goes first), says so on fd 3, and becomes
// `ip netns exec <netns> unshare … sh <INIT_SCRIPT's file>` with the rest of its arguments. Both scripts
// are files under run/ (runScripts), so the supervisor's command line stays short.
const HOST_SCRIPT = `set -eu
NS="$1"; VETH="$2"; BR="$3"; INIT="$4"; shift 4
if [ -e "/run/netns/$NS" ]; then ip netns delete "$NS" || true; fi
ip -batch - <<EOF
netns add $NS
link add $VETH type veth peer name eth0 netns $NS
link set $VETH master $BR up
EOF
echo ready >&3
exec 3>&-
exec ip netns exec "$NS" unshare --mount --pid --uts --ipc --fork --kill-child --propagation private sh "$INIT" "$@"
`;

// Runs as PID 1 of the new pid namespace, in the device's netns; replaces itself with the agent.
// Three programs besides the shell (ip, mount, chroot): each fork+exec costs ~1-2 ms of CPU, and the
// one-tool-per-step script this replaces ran seventeen (~24 ms a device). The mounts are the
// device's fstab (namespaceFstab), made in order by one `mount -a`; the hostname is written to the
// new UTS namespace's /proc/sys/kernel/hostname.
const INIT_SCRIPT = `set -eu
M="$1"; FSTAB="$2"; ID="$3"; ADDR="$4"; shift 4
ip -batch - <<EOF
addr add $ADDR dev eth0
link set eth0 up
link set lo up
EOF
mount -a -T "$FSTAB"
[ -d "$M/tmp" ] || mkdir -p "$M/tmp"
printf '%s\\n' "$ID" > /proc/sys/kernel/hostname
cd "$M"
exec chroot "$M" "$@"
`;

/**
 * HOST_SCRIPT and INIT_SCRIPT as files in `dir`, each replaced whole (rename) when its text differs.
 * They run as root: the directory and files are the owner's alone (0700/0600).
 */
function runScripts(dir: string): { host: string; init: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const files = { host: join(dir, 'host.sh'), init: join(dir, 'init.sh') };
  for (const [file, text] of [[files.host, HOST_SCRIPT], [files.init, INIT_SCRIPT]] as const) {
    let now: string | undefined;
    try {
      now = readFileSync(file, 'utf8');
    } catch {
      // not written yet
    }
    if (now === text) continue;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  }
  return files;
}

/** A path as an fstab field: space, tab, newline and backslash as octal escapes (fstab(5)). */
function fstabField(path: string): string {
  return path.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * The mounts of a device's private root, in the order `mount -a` makes them: an overlay of the
 * host's / (upper layer the device directory's root/), the host's /dev and /sys recursively, a new
 * /proc, the device directory on /etc/peridiod, and each read-only directory at its own path.
 * Mount points missing from the overlay are made in its upper layer (X-mount.mkdir, as mkdir -p did).
 */
export function namespaceFstab(o: { id: string; merged: string; deviceDir: string; work: string; readOnly: readonly string[] }): string {
  const m = o.merged;
  for (const p of [o.deviceDir, o.work]) {
    if (/[,:]/.test(p)) throw new VfleetError('VFLEET_USAGE', `namespace runtime: ${JSON.stringify(p)}: an overlay path cannot hold ',' or ':'`);
  }
  const line = (src: string, at: string, type: string, options: string) => `${fstabField(src)} ${fstabField(at)} ${type} ${options} 0 0`;
  return [
    line(`vfleet-ns-${o.id}`, m, 'overlay', `lowerdir=/,upperdir=${fstabField(join(o.deviceDir, 'root'))},workdir=${fstabField(o.work)}`),
    line('/dev', `${m}/dev`, 'none', 'rbind'),
    line('proc', `${m}/proc`, 'proc', 'defaults'),
    line('/sys', `${m}/sys`, 'none', 'rbind'),
    line(o.deviceDir, `${m}/etc/peridiod`, 'none', 'bind,X-mount.mkdir'),
    ...o.readOnly.map((dir) => line(dir, `${m}${dir}`, 'none', 'bind,ro,X-mount.mkdir')),
  ].join('\n') + '\n';
}

/** The device's own /etc/hosts (the overlay's upper layer): the backend is the bridge address. */
export function writeNamespaceHosts(deviceDir: string, bridgeAddress: string, id: string): void {
  writeDeviceFile(deviceDir, 'root/etc/hosts', `127.0.0.1\tlocalhost ${id}\n::1\tlocalhost\n${bridgeAddress}\t${BACKEND_HOST_NAME}\n`);
}

function childPid(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first === undefined || first === '' ? undefined : Number(first);
  } catch {
    return undefined;
  }
}

function signal(pid: number | undefined, sig: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

export function createNamespaceRuntime(opts: NamespaceRuntimeOptions): NamespaceRuntime {
  const home = resolve(opts.home);
  const bridge = opts.bridge ?? 'vfleet0';
  interfaceName(bridge, 0); // validates the length early
  const subnet16 = opts.subnet16 ?? '10.213';
  if (!/^\d{1,3}\.\d{1,3}$/.test(subnet16)) throw new VfleetError('VFLEET_USAGE', `namespace runtime: subnet16 ${JSON.stringify(subnet16)}: expected the first two octets, e.g. "10.213"`);
  const bridgeAddress = addressIn16(subnet16, 1);
  // names carry a hash of the home, so `vfleet down` in one workspace never touches another's devices
  const owner = homeHash(home).slice(0, 5);
  const netnsPrefix = opts.netnsPrefix ?? `vfleet-${owner}-`;
  const vethPrefix = opts.vethPrefix ?? `vf${owner}`;
  const repo = repoRoot();
  const distAgent = join(repo, 'simulator', 'dist', 'agent', 'main.js');
  let agentCommand = opts.agentCommand ?? [process.execPath, distAgent];
  // vfleet's own agent starts with the host's CA directory read on demand, as in the process runtime
  // (agent-trust.ts: Node's root store and NODE_EXTRA_CA_CERTS cost ~100 ms CPU per start otherwise);
  // decided at the first start, so `down`, `ps` and preflight never read the CA directory
  let trust: AgentTrust | undefined;
  let scripts: { host: string; init: string } | undefined;
  const used = new Set<number>();
  const slots = jsonRegistry<Slot>(join(home, 'run', 'namespace.json'));
  // changes asked for in one turn of the event loop (a ramp starting many devices at once) are one
  // write of the registry: each write is a rename over the old file, which ext4 follows with a
  // writeback of the new one, and it blocks this process while the disk is busy (~10 ms seen)
  let pending: Array<(recorded: Slot[]) => Slot[]> = [];
  let flush: Promise<void> | undefined;
  const record = (change: (recorded: Slot[]) => Slot[]): Promise<void> => {
    pending.push(change);
    flush ??= new Promise<void>((resolveFlush) => setImmediate(resolveFlush)).then(() => {
      const changes = pending;
      pending = [];
      flush = undefined;
      return slots.update((recorded) => changes.reduce((acc, c) => c(acc), recorded));
    });
    return flush;
  };

  async function ensureBridge(): Promise<void> {
    if (!existsSync(`/sys/class/net/${bridge}`)) {
      await mustTool('ip', ['link', 'add', bridge, 'type', 'bridge']);
    }
    const addrs = await mustTool('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge]);
    if (!addrs.includes(` ${bridgeAddress}/16 `)) await mustTool('ip', ['addr', 'add', `${bridgeAddress}/16`, 'dev', bridge]);
    await mustTool('ip', ['link', 'set', bridge, 'up']);
  }

  async function teardown(slot: Slot): Promise<void> {
    await tool('ip', ['netns', 'delete', slot.netns]);
    // gone with the netns already, unless the pair was half made (or the kernel is still taking the netns down)
    if (existsSync(`/sys/class/net/${slot.veth}`)) await tool('ip', ['link', 'delete', slot.veth]);
    used.delete(slot.index);
    await record((s) => s.filter((x) => x.netns !== slot.netns));
  }

  return {
    name: 'namespace',

    async preflight(count: number): Promise<PreflightReport> {
      const problems: string[] = [];
      if (process.platform !== 'linux') problems.push('the namespace runtime needs Linux');
      if (process.getuid?.() !== 0) problems.push('the namespace runtime needs root (ip netns, unshare, mount)');
      const missing = await tool('sh', ['-c', 'for t in ip unshare mount chroot hostname; do command -v $t >/dev/null || echo $t; done']);
      if (missing.stdout.trim() !== '') problems.push(`missing tools: ${missing.stdout.trim().split('\n').join(', ')}`);
      if (!existsSync('/dev/net/tun')) problems.push('/dev/net/tun is missing (tunnels need it)');
      if (opts.agentCommand === undefined && !existsSync(distAgent) && !existsSync(join(repo, 'simulator', 'src', 'agent', 'main.ts'))) {
        problems.push(`no agent to run: neither ${distAgent} (npm run build) nor the sources to bundle`);
      }
      const ceilings = [
        { what: 'addresses on the bridge', limit: 65_533, note: `${bridge} holds ${subnet16}.0.0/16; ${bridgeAddress} is the backend` },
        ...hostCeilings({ fdsPerDevice: 3, memoryPerDevice: MEMORY_PER_DEVICE, fdsNote: "pipes to the agent's output" }),
      ];
      problems.push(...overCeilings(count, ceilings));
      return { runtime: 'namespace', ok: problems.length === 0, problems, ceilings, memoryPerDevice: MEMORY_PER_DEVICE };
    },

    async prepare(): Promise<void> {
      await ensureBridge();
      if (opts.agentCommand === undefined) {
        try {
          const { file } = await bundleAgent({ outDir: join(home, 'run', 'namespace-agent') });
          agentCommand = [process.execPath, file];
        } catch {
          // no esbuild or sources (an installed build): the compiled agent
          agentCommand = [process.execPath, distAgent];
        }
      }
    },

    backendListenHosts: () => [bridgeAddress],

    async start(launch: DeviceLaunch): Promise<RunningDevice> {
      const deviceDir = resolve(launch.deviceDir);
      if (!existsSync(join(deviceDir, 'peridio.json'))) throw new VfleetError('VFLEET_USAGE', `${launch.id}: ${deviceDir} has no peridio.json; not a device directory`);
      const netns = safeName('netns name', `${netnsPrefix}${launch.id}`);
      if (!existsSync(`/sys/class/net/${bridge}`)) await ensureBridge();
      // a veth that exists belongs to a running device (of this or another fleet): never reuse it, nor
      // the address of a port another workspace has on the same bridge (same-length prefixes)
      const onBridge = new Set(readdirSync(`/sys/class/net/${bridge}/brif`).map((n) => parseInt(n.slice(vethPrefix.length), 36)));
      let index = 2;
      while (used.has(index) || onBridge.has(index) || existsSync(`/sys/class/net/${interfaceName(vethPrefix, index)}`)) index++;
      used.add(index);
      const slot: Slot = { id: launch.id, netns, veth: interfaceName(vethPrefix, index), address: addressIn16(subnet16, index), index };
      await record((s) => [...s.filter((x) => x.netns !== netns), slot]);
      const work = join(deviceDir, '.vfleet-ns');
      // the agent script's directory (the bundle lives under the home) is mounted read-only beside the repo
      const readOnly = [...new Set([repo, ...agentCommand.slice(1, 2).map((p) => dirname(resolve(p)))])].filter((p) => !p.startsWith(`${repo}/`));
      const fstab = join(work, 'fstab');
      try {
        // nothing the device may have linked elsewhere is followed (this runs as root on the host)
        mkdirInDevice(deviceDir, '.vfleet-ns/work');
        mkdirInDevice(deviceDir, '.vfleet-ns/merged');
        mkdirInDevice(deviceDir, 'root');
        writeNamespaceHosts(deviceDir, bridgeAddress, launch.id);
        writeDeviceFile(deviceDir, '.vfleet-ns/fstab', namespaceFstab({ id: launch.id, merged: join(work, 'merged'), deviceDir, work: join(work, 'work'), readOnly }));
        scripts ??= runScripts(join(home, 'run', 'namespace-scripts'));
      } catch (e) {
        await teardown(slot);
        throw e;
      }
      if (opts.agentCommand === undefined) trust ??= agentTrust();
      const command = trust === undefined ? agentCommand : [agentCommand[0] as string, ...trust.nodeArgs, ...agentCommand.slice(1)];
      // one program started from this process per device: a fork costs this process time in
      // proportion to its memory (~4 ms at 200 MB RSS), and the supervisor hosts the backend
      const child = execa('sh', [
        scripts.host, netns, slot.veth, bridge,
        scripts.init, join(work, 'merged'), fstab, launch.id, `${slot.address}/16`, ...command,
      ], {
        reject: false,
        cleanup: true,
        buffer: false,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        extendEnv: false,
        env: {
          PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          HOME: '/root',
          HOSTNAME: launch.id,
          PERIDIO_CONFIG_FILE: '/etc/peridiod/peridio.json',
          VFLEET_FW_ENV_CONFIG: '/etc/peridiod/fw_env.config',
          ...(trust === undefined ? {} : trustVariables(trust)),
          ...launch.env,
        },
      });
      forwardLines(child.stdout, 'stdout', launch.onLine);
      // the host side's errors (ip -batch) make start() fail, as a failed command did; the device's own lines go to onLine
      let early = '';
      const collect = (chunk: Buffer): void => {
        early += chunk.toString('utf8');
      };
      child.stderr?.on('data', collect);
      const ready = await new Promise<boolean>((done) => {
        child.stdio[3]?.once('data', () => done(true));
        void child.then(() => done(false));
      });
      child.stderr?.off('data', collect);
      if (!ready) {
        const r = await child;
        await teardown(slot);
        const why = (early || String(r.shortMessage ?? '')).trim().split('\n').slice(-3).join(' | ');
        throw new VfleetError('VFLEET_IO', `${launch.id}: could not make netns ${netns} and its veth on ${bridge}: exit ${r.exitCode ?? r.signal ?? '?'}: ${why}`);
      }
      for (const line of early.split('\n')) if (line.trim() !== '') launch.onLine(line.replace(/\r$/, ''), 'stderr');
      forwardLines(child.stderr, 'stderr', launch.onLine);
      const exitOf = child.then((r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }));
      let killed = false;
      const exit = exitOf.then(async (r) => {
        await teardown(slot).catch(() => undefined);
        if (killed) return { code: null, signal: 'SIGKILL' };
        return { code: r.code, signal: r.signal };
      });
      // PID 1 of the device's pid namespace (the agent once the init script exec'd it)
      const init = (): number | undefined => (child.pid === undefined ? undefined : childPid(child.pid));
      const forceKill = (): void => {
        if (!signal(init(), 'SIGKILL')) child.kill('SIGKILL'); // --kill-child takes the namespace down
      };
      return {
        id: launch.id,
        exit,
        async stop(graceMs = 10_000) {
          if (!signal(init(), 'SIGTERM')) forceKill();
          const timer = setTimeout(forceKill, graceMs);
          await exit;
          clearTimeout(timer);
        },
        async kill() {
          killed = true;
          forceKill();
          await exit;
        },
      };
    },

    async cleanup(): Promise<CleanupReport> {
      const report: CleanupReport = { removed: [], errors: [] };
      const recorded = slots.read();
      const netnsList = await tryTool('ip', ['netns', 'list']);
      const names = new Set([
        ...netnsList.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(netnsPrefix)),
        // a registry entry names a netns of this home only (never someone else's, whatever the file says)
        ...recorded.map((s) => s.netns).filter((n) => n.startsWith(netnsPrefix) && existsSync(`/run/netns/${n}`)),
      ]);
      for (const ns of names) {
        const pids = await tryTool('ip', ['netns', 'pids', ns]);
        for (const pid of pids.stdout.split('\n').filter(Boolean)) {
          if (signal(Number(pid), 'SIGKILL')) report.removed.push({ kind: 'process', name: `${pid} in ${ns}` });
        }
        const r = await tryTool('ip', ['netns', 'delete', ns]);
        if (r.code === 0) report.removed.push({ kind: 'netns', name: ns });
        // gone meanwhile (the runtime that made it removed it as its device ended): nothing left to clean
        else if (existsSync(`/run/netns/${ns}`)) report.errors.push(`netns ${ns}: ${r.stderr.trim()}`);
      }
      const veths = (await tryTool('ip', ['-o', 'link', 'show', 'type', 'veth'])).stdout.split('\n')
        .map((l) => /^\d+:\s+([^@:]+)/.exec(l)?.[1] ?? '')
        .filter((n) => n.startsWith(vethPrefix) && /^[0-9a-z]+$/.test(n.slice(vethPrefix.length)));
      for (const v of veths) {
        const r = await tryTool('ip', ['link', 'delete', v]);
        if (r.code === 0) report.removed.push({ kind: 'veth', name: v });
        else if (existsSync(`/sys/class/net/${v}`)) report.errors.push(`veth ${v}: ${r.stderr.trim()}`);
      }
      // overlays of this runtime seen from here (a private mount namespace normally takes them along)
      const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[0]?.startsWith('vfleet-ns-') && f[2] === 'overlay');
      for (const f of mounts) {
        const at = (f[1] ?? '').replace(/\\040/g, ' ');
        const r = await tryTool('umount', ['--lazy', at]);
        if (r.code === 0) report.removed.push({ kind: 'mount', name: at });
        else report.errors.push(`mount ${at}: ${r.stderr.trim()}`);
      }
      if (existsSync(`/sys/class/net/${bridge}`)) {
        const ports = readdirSync(`/sys/class/net/${bridge}/brif`);
        if (ports.length > 0) report.errors.push(`bridge ${bridge} still has ports ${ports.join(', ')} (another fleet?); left in place`);
        else {
          const r = await tryTool('ip', ['link', 'delete', bridge]);
          if (r.code === 0) report.removed.push({ kind: 'bridge', name: bridge });
          else report.errors.push(`bridge ${bridge}: ${r.stderr.trim()}`);
        }
      }
      used.clear();
      await slots.update(() => []);
      return report;
    },
  };
}
