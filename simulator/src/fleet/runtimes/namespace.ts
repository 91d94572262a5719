// namespace runtime: each device is `unshare` mount/pid/uts/ipc inside its own `ip netns`, with a
// veth on the vfleet bridge and a private root: an overlay of the host's / whose upper layer is the
// device directory's root/ (the same place the process runtime maps paths to), the device directory
// on /etc/peridiod. Root only. Everything is named with vfleet's prefixes and recorded under run/.
// The device runs as root with a container's capabilities (no chroot, mount, mknod or admin), a
// /dev and /run of its own, a read-only /sys and /proc/sys, its own /root, /home, /tmp and every
// other host directory that is not the system's (privateHostDirs), and the other devices'
// directories and the home hidden: what it runs (a package's scripts, reboot_sync_cmd from its peridio.json, the remote
// shell) must not reach the host or another device.
import { chmodSync, closeSync, constants, existsSync, fchmodSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { bundleAgent, evkPasswordHash, evkUserFiles, EVK_USER_HOME, repoRoot, SECRET_USER_FILES } from '../image.js';
import { BACKEND_HOST_NAME, type CleanupReport, type DeviceLaunch, type PreflightReport, type RunningDevice, type Runtime, type RuntimeOptions } from '../types.js';
import { hostCeilings, overCeilings } from './host-limits.js';
import { execa, type ResultPromise } from 'execa';
import { addressIn16, forwardLines, homeHash, interfaceName, mustTool, safeName, tool, tryTool } from './netutil.js';
import { jsonRegistry } from './json-registry.js';
import { mkdirInDevice, requireInDevice, writeDeviceFile } from '../../devices/device-files.js';
import { entryAt } from '../../devices/path-entry.js';
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

/** Taken by every workspace's starts and cleanups to change bridge ports; root's alone (0600 in /run), so no other user can hold it. */
export const BRIDGE_LOCK = '/run/vfleet-namespace.lock';

/** Makes BRIDGE_LOCK (the scripts only open it), readable by root alone. */
function makeBridgeLock(): void {
  const fd = openSync(BRIDGE_LOCK, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

// Started from the supervisor: makes the device's netns, its veth pair and the bridge port (one
// `ip -batch`; a netns name left by a crash of this fleet goes first), says so on fd 3, and becomes
// `ip netns exec <netns> unshare … sh <INIT_SCRIPT's file>` with the rest of its arguments. Both scripts
// are files under run/ (runScripts), so the supervisor's command line stays short. Every workspace
// holds one lock (BRIDGE_LOCK) while it checks that no port of the bridge has its address's index
// (PORTS, a glob of port names) and adds its own, so two homes starting devices at once never take
// one address; exit 75 says the index is taken. A bridge another home's cleanup removed meanwhile
// is made again here.
const HOST_SCRIPT = `set -eu
NS="$1"; VETH="$2"; BR="$3"; BRADDR="$4"; PORTS="$5"; INIT="$6"; shift 6
if [ -e "/run/netns/$NS" ]; then ip netns delete "$NS" || true; fi
exec 9>>${BRIDGE_LOCK}
flock -w 60 9 || { echo "${BRIDGE_LOCK} held for over 60 s (another vfleet?)" >&2; exit 1; }
if [ ! -e "/sys/class/net/$BR" ]; then ip -batch - <<EOF
link add $BR type bridge
addr add $BRADDR dev $BR
link set $BR up
EOF
fi
for p in /sys/class/net/$BR/brif/$PORTS; do
  if [ -e "$p" ]; then exit 75; fi
done
ip -batch - <<EOF
netns add $NS
link add $VETH type veth peer name eth0 netns $NS
link set $VETH master $BR up
EOF
exec 9<&-
echo ready >&3
exec 3>&-
exec ip netns exec "$NS" unshare --mount --pid --uts --ipc --fork --kill-child --propagation private sh "$INIT" "$@"
`;

/** HOST_SCRIPT's exit code when another workspace's port on the bridge holds the index asked for. */
const INDEX_TAKEN = 75;

// Run by the device's own sh, after the chroot: exports the agent's environment, which comes as
// VFLEET_AGENT_ENV (its names) and VFLEET_AGENT_ENV_<name>, and becomes the agent. Names are checked
// against ENV_NAME before they get here.
const AGENT_ENV_SH = 'for n in ${VFLEET_AGENT_ENV-}; do eval "export $n=\\"\\${VFLEET_AGENT_ENV_$n}\\"; unset VFLEET_AGENT_ENV_$n"; done; unset VFLEET_AGENT_ENV; exec "$@"';

// Runs as PID 1 of the new pid namespace, in the device's netns; replaces itself with the agent.
// Four programs besides this shell (ip, mount, capsh, the device's sh): each fork+exec costs ~1-2 ms
// of CPU, and the one-tool-per-step script this replaces ran seventeen (~24 ms a device). The mounts
// are the device's fstab (namespaceFstab), made in order by one `mount -a`; the hostname is written
// to the new UTS namespace's /proc/sys/kernel/hostname. capsh drops DROP from the bounding set and
// chroots in one process: everything after the chroot comes from the device's overlay (its own
// /bin/sh, node, libraries), so nothing there may start with more than the device's capabilities.
// The agent's environment travels under other names (AGENT_ENV_SH), so none of it (PATH, LD_*)
// steers the host's tools that run before.
const INIT_SCRIPT = `set -eu
M="$1"; FSTAB="$2"; ID="$3"; ADDR="$4"; DROP="$5"; shift 5
ip -batch - <<EOF
addr add $ADDR dev eth0
link set eth0 up
link set lo up
EOF
mount -a -T "$FSTAB"
[ -d "$M/tmp" ] || mkdir -p "$M/tmp"
printf '%s\\n' "$ID" > /proc/sys/kernel/hostname
cd "$M"
exec capsh --drop="$DROP" --chroot="$M" --shell=/bin/sh -- -c '${AGENT_ENV_SH.replace(/'/g, `'\\''`)}' vfleet-agent "$@"
`;

/** The environment the host's tools run with; the agent gets it too, under what the launch sets. */
const HOST_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Capabilities a device keeps: a container engine's defaults and NET_ADMIN (its netns, tunnels),
 * less SYS_CHROOT (the device's root is a chroot, which it would leave with it) and MKNOD.
 */
const KEEP_CAPS: Readonly<Record<string, number>> = {
  chown: 0, dac_override: 1, fowner: 3, fsetid: 4, kill: 5, setgid: 6, setuid: 7, setpcap: 8,
  net_bind_service: 10, net_admin: 12, net_raw: 13, audit_write: 29, setfcap: 31,
};

/** The capability numbers to drop: every one this kernel knows but KEEP_CAPS. */
export function capsToDrop(lastCap: number): string {
  const keep = new Set(Object.values(KEEP_CAPS));
  return Array.from({ length: lastCap + 1 }, (_, n) => n).filter((n) => !keep.has(n)).join(',');
}

function lastCap(): number {
  try {
    const n = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    if (Number.isInteger(n) && n >= 31) return n;
  } catch {
    // not Linux, or no procfs: preflight says the runtime cannot run here
  }
  return 40;
}

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

/** Character devices a device's /dev holds, bound from the host's. */
const DEV_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;
const DEV_LINKS: Readonly<Record<string, string>> = { fd: '/proc/self/fd', stdin: '/proc/self/fd/0', stdout: '/proc/self/fd/1', stderr: '/proc/self/fd/2', ptmx: 'pts/ptmx' };

/**
 * The skeleton of a device's /dev, shared read-only by every device of this home: mount points for
 * DEV_NODES and /dev/net/tun, pts/ and shm/ (each device gets its own devpts and tmpfs there), and
 * DEV_LINKS. Made again where an entry is not what it should be.
 */
function devSkeleton(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const kind = (p: string) => {
    try {
      const st = lstatSync(p);
      return st.isSymbolicLink() ? `link:${readlinkSync(p)}` : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    } catch {
      return 'missing';
    }
  };
  const ensure = (rel: string, want: string, make: (p: string) => void) => {
    const p = join(dir, rel);
    if (kind(p) === want) return;
    rmSync(p, { recursive: true, force: true });
    make(p);
  };
  for (const n of DEV_NODES) ensure(n, 'file', (p) => writeFileSync(p, ''));
  for (const d of ['pts', 'shm', 'net']) ensure(d, 'dir', (p) => mkdirSync(p, { mode: 0o755 }));
  ensure('net/tun', 'file', (p) => writeFileSync(p, ''));
  for (const [name, target] of Object.entries(DEV_LINKS)) ensure(name, `link:${target}`, (p) => symlinkSync(target, p));
  return dir;
}

/**
 * Top-level directories of / that hold the system a device runs on (its tools, libraries, /etc):
 * the device sees these through its overlay. /run is a tmpfs of its own.
 */
export const HOST_SYSTEM_DIRS: readonly string[] = ['bin', 'boot', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'libx32', 'opt', 'proc', 'run', 'sbin', 'sys', 'usr', 'var'];

/**
 * Host directories under the system ones that hold secrets or other systems' data: host, TLS, VPN
 * and cluster keys and network passwords (/etc: ssh, ssl/private, wireguard, letsencrypt, pki,
 * openvpn, ipsec.d, swanctl, ppp, NetworkManager's connections, docker, kubernetes, rancher);
 * services' state (databases, container engines, systemd's credentials); Debian's daily copies of
 * /etc/shadow (/var/backups); logs, mail, spools; and the shared /var/tmp. The rest of /etc (what
 * the device's tools read) stays the host's.
 */
export const HOST_PRIVATE_NESTED: readonly string[] = [
  '/etc/ssh', '/etc/ssl/private', '/etc/wireguard', '/etc/letsencrypt', '/etc/pki',
  '/etc/openvpn', '/etc/ipsec.d', '/etc/swanctl', '/etc/ppp', '/etc/NetworkManager/system-connections',
  '/etc/docker', '/etc/kubernetes', '/etc/rancher',
  '/var/backups', '/var/lib', '/var/log', '/var/mail', '/var/spool', '/var/tmp',
];

/** Private directories everyone may write to, each its own (sticky, as on the host). */
const SHARED_TEMP = ['/tmp', '/var/tmp'];

/**
 * The host directories a device must not read through its overlay of / (root can read anything
 * there): every top-level directory that is not a system one (/root, /home, /tmp, /srv, /mnt, a
 * work tree...) and those of HOST_PRIVATE_NESTED the host has. `isDir` says whether a path is a
 * directory, not following links (a link such as /lib -> usr/lib leads into a system directory).
 */
export function privateHostDirs(topLevel: readonly string[], isDir: (path: string) => boolean): string[] {
  const top = topLevel.filter((n) => !HOST_SYSTEM_DIRS.includes(n) && isDir(`/${n}`)).map((n) => `/${n}`);
  return [...top, ...HOST_PRIVATE_NESTED.filter((p) => isDir(p))].sort();
}

/** A path as an fstab field: space, tab, newline and backslash as octal escapes (fstab(5)). */
function fstabField(path: string): string {
  return path.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** /proc entries a device gets read-only (a container engine's list): through them root changes the host's kernel. */
export const PROC_READ_ONLY = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus', '/proc/fs'] as const;

export interface NamespaceFstabOptions {
  id: string;
  merged: string;
  deviceDir: string;
  work: string;
  readOnly: readonly string[];
  /** Host directories the device must not see through the overlay (the other devices', the home): an empty tmpfs on each. */
  hidden: readonly string[];
  /**
   * Host directories that are not the system's (privateHostDirs): the device sees its own directory
   * of the same path in its upper layer instead (root/<dir>, bound), so what it keeps there
   * persists and nothing of the host's shows. Default none.
   */
  own?: readonly string[];
  /** devSkeleton's directory. */
  devSkeleton: string;
  /** The /proc entries of PROC_READ_ONLY this kernel has. */
  procReadOnly: readonly string[];
  /** Whether the host has /dev/net/tun to hand in. */
  tun: boolean;
}

/**
 * The mounts of a device's private root, in the order `mount -a` makes them: an overlay of the
 * host's / (upper layer the device directory's root/), a /dev of its own (the read-only skeleton,
 * the host's null, zero, full, random, urandom and tty, /dev/net/tun, a new devpts and shm), a new
 * /proc with PROC_READ_ONLY read-only, a new read-only /sys (this netns's), the device directory on
 * /etc/peridiod, the device's own directory (from its upper layer) on each of `own`, a new /run,
 * each read-only directory at its own path, and an empty tmpfs over each hidden one.
 * Mount points missing from the overlay are made in its upper layer (X-mount.mkdir, as mkdir -p did).
 */
export function namespaceFstab(o: NamespaceFstabOptions): string {
  const m = o.merged;
  for (const p of [o.deviceDir, o.work]) {
    // overlayfs reads these three itself, inside its options: a backslash escapes the next character
    if (/[,:\\]/.test(p)) throw new VfleetError('VFLEET_USAGE', `namespace runtime: ${JSON.stringify(p)}: an overlay path cannot hold ',', ':' or '\\'`);
  }
  const line = (src: string, at: string, type: string, options: string) => `${fstabField(src)} ${fstabField(at)} ${type} ${options} 0 0`;
  return [
    line(`vfleet-ns-${o.id}`, m, 'overlay', `lowerdir=/,upperdir=${fstabField(join(o.deviceDir, 'root'))},workdir=${fstabField(o.work)}`),
    line(o.devSkeleton, `${m}/dev`, 'none', 'bind,ro,nosuid,noexec'),
    ...DEV_NODES.map((n) => line(`/dev/${n}`, `${m}/dev/${n}`, 'none', 'bind')),
    ...(o.tun ? [line('/dev/net/tun', `${m}/dev/net/tun`, 'none', 'bind')] : []),
    line('devpts', `${m}/dev/pts`, 'devpts', 'newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec'),
    line('shm', `${m}/dev/shm`, 'tmpfs', 'mode=1777,size=65536k,nosuid,nodev,noexec'),
    line('proc', `${m}/proc`, 'proc', 'nosuid,nodev,noexec'),
    ...o.procReadOnly.map((p) => line(`${m}${p}`, `${m}${p}`, 'none', 'bind,ro')),
    line('sysfs', `${m}/sys`, 'sysfs', 'ro,nosuid,nodev,noexec'),
    line(o.deviceDir, `${m}/etc/peridiod`, 'none', 'bind,X-mount.mkdir'),
    ...(o.own ?? []).map((dir) => line(join(o.deviceDir, 'root', dir), `${m}${dir}`, 'none', 'bind,nosuid,nodev')),
    // a /run of its own each boot, as a device's is, not the host's (its sockets, secrets and locks)
    line('run', `${m}/run`, 'tmpfs', 'mode=0755,size=16m,nosuid,nodev'),
    ...o.readOnly.map((dir) => line(dir, `${m}${dir}`, 'none', 'bind,ro,X-mount.mkdir')),
    ...o.hidden.map((dir) => line('none', `${m}${dir}`, 'tmpfs', 'mode=0755,size=64k,nosuid,nodev,noexec')),
    // a read-only directory under a hidden one (the agent bundle in the home) is bound again on top
    ...o.readOnly.filter((dir) => o.hidden.some((h) => dir.startsWith(`${h}/`) || dir === h)).map((dir) => line(dir, `${m}${dir}`, 'none', 'bind,ro,X-mount.mkdir')),
  ].join('\n') + '\n';
}

/**
 * Throws unless each mount point (a path inside the device) is reached in the overlay's upper layer
 * through no symbolic link: the mounts are made before the chroot, where a link the device left in
 * root/ resolves against the host's / (and X-mount.mkdir made host directories through one).
 */
export function requireMountPoints(deviceDir: string, points: readonly string[]): void {
  for (const p of points) requireInDevice(deviceDir, join(deviceDir, 'root', p));
}

/**
 * The device's own user database in its upper layer (evkUserFiles: root locked and the
 * EVK's peridio login), each file only where the device has none: one an earlier start wrote, or
 * one the device changed or removed inside (a whiteout), stays. Without them the overlay showed the
 * host's /etc/passwd, /etc/shadow and /etc/gshadow, the host's password hashes with them, and the
 * console login asked for a host account.
 */
export function writeNamespaceUsers(deviceDir: string, files: Readonly<Record<string, string>>): void {
  for (const [rel, text] of Object.entries(files)) {
    if (entryAt(join(deviceDir, 'root', rel)) === undefined) writeDeviceFile(deviceDir, `root/${rel}`, text, SECRET_USER_FILES.has(rel) ? 0o600 : 0o644);
  }
  mkdirInDevice(deviceDir, `root/${EVK_USER_HOME}`);
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

/** Whether `pid` lives (not a zombie). */
function living(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * SIGKILLs the processes in netns `ns` (each checked to be in it right before, so a pid reused
 * meanwhile is left alone) and waits up to `waitMs` for them to be gone; returns the pids killed.
 */
async function endNetnsProcesses(ns: string, waitMs = 3_000): Promise<number[]> {
  let inode: number;
  try {
    inode = statSync(`/run/netns/${ns}`).ino;
  } catch {
    return [];
  }
  const listed = await tryTool('ip', ['netns', 'pids', ns]);
  const killed: number[] = [];
  for (const pid of listed.stdout.split('\n').filter(Boolean).map(Number)) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      continue;
    }
    if (link === `net:[${inode}]` && signal(pid, 'SIGKILL')) killed.push(pid);
  }
  for (const end = Date.now() + waitMs; killed.some(living) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  return killed;
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
  let devDir: string | undefined;
  let lockMade = false;
  let users: ReturnType<typeof evkUserFiles> | undefined;
  const drop = capsToDrop(lastCap());
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

  /** The lowest index no device of this runtime, no port on the bridge (any home's) and nothing in `skip` holds. */
  function freeIndex(skip: ReadonlySet<number>): number {
    const onBridge = existsSync(`/sys/class/net/${bridge}/brif`)
      ? new Set(readdirSync(`/sys/class/net/${bridge}/brif`).map((n) => parseInt(n.slice(vethPrefix.length), 36)))
      : new Set<number>();
    let index = 2;
    while (used.has(index) || skip.has(index) || onBridge.has(index) || existsSync(`/sys/class/net/${interfaceName(vethPrefix, index)}`)) index++;
    return index;
  }

  return {
    name: 'namespace',

    async preflight(count: number): Promise<PreflightReport> {
      const problems: string[] = [];
      if (process.platform !== 'linux') problems.push('the namespace runtime needs Linux');
      if (process.getuid?.() !== 0) problems.push('the namespace runtime needs root (ip netns, unshare, mount)');
      const missing = await tool('sh', ['-c', 'for t in ip unshare mount capsh flock; do command -v $t >/dev/null || echo $t; done']);
      if (missing.stdout.trim() !== '') problems.push(`missing tools: ${missing.stdout.trim().split('\n').join(', ')} (capsh: libcap2-bin; the others: iproute2, util-linux)`);
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
      for (const k of Object.keys(launch.env)) {
        if (!ENV_NAME.test(k)) throw new VfleetError('VFLEET_USAGE', `namespace runtime: env name ${JSON.stringify(k)} for ${launch.id}: expected [A-Za-z_][A-Za-z0-9_]*`);
      }
      const netns = safeName('netns name', `${netnsPrefix}${launch.id}`);
      // a run of this device left by a crash of its supervisor still writes its directory: it ends
      // before anything there is checked (deleting the netns name alone left it running, unfindable)
      if (existsSync(`/run/netns/${netns}`)) await endNetnsProcesses(netns);
      if (!existsSync(`/sys/class/net/${bridge}`)) await ensureBridge();
      const work = join(deviceDir, '.vfleet-ns');
      // the agent script's directory (the bundle lives under the home) is mounted read-only beside the repo
      const readOnly = [...new Set([repo, ...agentCommand.slice(1, 2).map((p) => dirname(resolve(p)))])].filter((p) => !p.startsWith(`${repo}/`));
      const fstab = join(work, 'fstab');
      // nothing the device may have linked elsewhere is followed (this runs as root on the host)
      mkdirInDevice(deviceDir, '.vfleet-ns/work');
      mkdirInDevice(deviceDir, '.vfleet-ns/merged');
      mkdirInDevice(deviceDir, 'root');
      // the overlay shows the host's root file system: not its private directories, which the device
      // has of its own, nor the other devices' keys and this home's CA keys and tokens where those are elsewhere
      const own = privateHostDirs(readdirSync('/'), (p) => entryAt(p)?.isDirectory() === true);
      const under = (p: string, dirs: readonly string[]) => dirs.some((d) => p === d || p.startsWith(`${d}/`));
      // a node installed in a private directory (nvm puts it under /root or /home) is shown again, read-only
      const nodeDir = dirname(resolve(agentCommand[0] as string));
      if (under(nodeDir, own) && !under(nodeDir, readOnly)) readOnly.push(nodeDir);
      // (one under a private directory is hidden already, unless a read-only one shows it again: a home in the repository)
      const hidden = [dirname(deviceDir), home].filter((p) => p.split('/').filter(Boolean).length >= 2 && (!under(p, own) || under(p, readOnly)));
      requireMountPoints(deviceDir, ['/dev', '/proc', '/sys', '/run', '/etc/peridiod', ...own, ...readOnly, ...hidden]);
      for (const dir of own) {
        const made = mkdirInDevice(deviceDir, `root${dir}`);
        if (SHARED_TEMP.includes(dir)) chmodSync(made, 0o1777);
      }
      writeNamespaceHosts(deviceDir, bridgeAddress, launch.id);
      users ??= evkUserFiles(await evkPasswordHash());
      writeNamespaceUsers(deviceDir, users);
      devDir ??= devSkeleton(join(home, 'run', 'namespace-dev'));
      writeDeviceFile(deviceDir, '.vfleet-ns/fstab', namespaceFstab({
        id: launch.id, merged: join(work, 'merged'), deviceDir, work: join(work, 'work'), readOnly, hidden, own,
        devSkeleton: devDir, procReadOnly: PROC_READ_ONLY.filter((p) => existsSync(p)), tun: existsSync('/dev/net/tun'),
      }));
      scripts ??= runScripts(join(home, 'run', 'namespace-scripts'));
      if (!lockMade) {
        makeBridgeLock();
        lockMade = true;
      }
      if (opts.agentCommand === undefined) trust ??= agentTrust();
      const command = trust === undefined ? agentCommand : [agentCommand[0] as string, ...trust.nodeArgs, ...agentCommand.slice(1)];
      const agentEnv: Record<string, string> = {
        HOSTNAME: launch.id,
        PERIDIO_CONFIG_FILE: '/etc/peridiod/peridio.json',
        VFLEET_FW_ENV_CONFIG: '/etc/peridiod/fw_env.config',
        ...(trust === undefined ? {} : trustVariables(trust)),
        ...launch.env,
      };
      const env: Record<string, string> = { ...HOST_ENV, VFLEET_AGENT_ENV: Object.keys(agentEnv).join(' ') };
      for (const [k, v] of Object.entries(agentEnv)) env[`VFLEET_AGENT_ENV_${k}`] = v;
      const host = scripts.host;
      const init = scripts.init;

      // one program started from this process per device: a fork costs this process time in
      // proportion to its memory (~4 ms at 200 MB RSS), and the supervisor hosts the backend
      const spawnOptions = { reject: false, cleanup: true, buffer: false, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], extendEnv: false, env } as const;
      type Child = ResultPromise<typeof spawnOptions>;
      const launchAt = async (slot: Slot): Promise<{ child: Child; early: string } | { exitCode: number | undefined; why: string }> => {
        const child = execa('sh', [
          host, netns, slot.veth, bridge, `${bridgeAddress}/16`, `${'?'.repeat(vethPrefix.length)}${slot.index.toString(36)}`,
          init, join(work, 'merged'), fstab, launch.id, `${slot.address}/16`, drop, ...command,
        ], spawnOptions);
        forwardLines(child.stdout, 'stdout', launch.onLine);
        // the host side's errors (ip -batch) make start() fail, as a failed command did; the device's own lines go to onLine
        let early = '';
        const collect = (chunk: Buffer): void => {
          if (early.length < 64 * 1024) early += chunk.toString('utf8');
        };
        child.stderr?.on('data', collect);
        const ready = await new Promise<boolean>((done) => {
          child.stdio[3]?.once('data', () => done(true));
          void child.then(() => done(false));
        });
        child.stderr?.off('data', collect);
        if (ready) return { child, early };
        const r = await child;
        return { exitCode: r.exitCode, why: (early || String(r.shortMessage ?? '')).trim().split('\n').slice(-3).join(' | ') || `exit ${r.exitCode ?? r.signal ?? '?'}` };
      };

      // another workspace may take the index this one picked before its port is on the bridge: the next one then
      const taken = new Set<number>();
      const launched = async (): Promise<{ child: Child; early: string; slot: Slot }> => {
        for (;;) {
          const index = freeIndex(taken);
          used.add(index);
          const slot: Slot = { id: launch.id, netns, veth: interfaceName(vethPrefix, index), address: addressIn16(subnet16, index), index };
          await record((recorded) => [...recorded.filter((x) => x.netns !== netns), slot]);
          const r = await launchAt(slot);
          if ('child' in r) return { ...r, slot };
          await teardown(slot);
          if (r.exitCode !== INDEX_TAKEN || taken.size >= 64) {
            throw new VfleetError('VFLEET_IO', `${launch.id}: could not make netns ${netns} and its veth on ${bridge}: exit ${r.exitCode ?? '?'}: ${r.why}`);
          }
          taken.add(index);
        }
      };
      const { child, early, slot } = await launched();
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
      const initPid = (): number | undefined => (child.pid === undefined ? undefined : childPid(child.pid));
      const forceKill = (): void => {
        if (!signal(initPid(), 'SIGKILL')) child.kill('SIGKILL'); // --kill-child takes the namespace down
      };
      return {
        id: launch.id,
        exit,
        async stop(graceMs = 10_000) {
          if (!signal(initPid(), 'SIGTERM')) forceKill();
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
        for (const pid of await endNetnsProcesses(ns, 0)) report.removed.push({ kind: 'process', name: `${pid} in ${ns}` });
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
        // under the lock every home's start takes to add a port: one added meanwhile keeps the bridge
        makeBridgeLock();
        const r = await tryTool('sh', ['-c', `exec 9>>${BRIDGE_LOCK}; flock -w 60 9 || { echo "${BRIDGE_LOCK} held for over 60 s" >&2; exit 1; }; p=$(ls -A "/sys/class/net/$1/brif"); if [ -n "$p" ]; then echo $p; exit 3; fi; ip link delete "$1"`, 'sh', bridge]);
        if (r.code === 0) report.removed.push({ kind: 'bridge', name: bridge });
        else if (r.code === 3) report.errors.push(`bridge ${bridge} still has ports ${r.stdout.trim().split(/\s+/).join(', ')} (another fleet?); left in place`);
        else if (existsSync(`/sys/class/net/${bridge}`)) report.errors.push(`bridge ${bridge}: ${r.stderr.trim()}`);
      }
      used.clear();
      await slots.update(() => []);
      return report;
    },
  };
}
