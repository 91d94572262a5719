// The wg-quick file peridio-rat writes per tunnel (protocol §7.4), and the comment tags read back
// after a restart to match a config to its tunnel.

export interface QuickConfig {
  ifname: string;
  devicePublicKey: string;
  privateKey: string;
  address: string;
  listenPort: number;
  /** `auto`, or `off` when a WAN interface is bound. */
  table: 'auto' | 'off';
  /** Command lines per hook (already joined with their arguments); absent hooks are left out. */
  hooks: { preUp?: string; postUp?: string; preDown?: string; postDown?: string };
  peer: { allowedIps: string; publicKey: string; endpoint: string; persistentKeepalive: number };
  tunnelPrn: string;
  dport: number;
}

/** The seven hook arguments of §7.6, space-joined (an empty WAN name leaves a double space, as peridiod does). */
export function hookArguments(a: { ifname: string; dport: number; deviceIp: string; serverIp: string; wanIfname: string; endpointIp: string; routingTable: number }): string {
  return [a.ifname, String(a.dport), a.deviceIp, `${a.serverIp}/32`, a.wanIfname, a.endpointIp, String(a.routingTable)].join(' ');
}

/** A word for a wg-quick hook line (run by bash `eval`): single-quoted unless plainly safe. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs a hook with the device's own /tmp and /run bound over the host's (a private mount
 * namespace), for a device without a root of its own: the EVK's hooks keep their counters in /tmp
 * and kill the pid in /run/sshd.pid, which must be the device's, never the host's.
 */
// The hook is opened (fd 3) before the mounts: a device directory under /tmp or /run (as in tests)
// is hidden by them, and such a hook then runs as /dev/fd/3; anywhere else it runs by its own path.
// /run is bound first, since its source may lie under /tmp.
const HOOK_NAMESPACE_SCRIPT =
  'mkdir -p "$1" "$2" && exec 3<"$3" && mount --bind "$2" /run && mount --bind "$1" /tmp && hook="$3" && shift 3 && cd / && ' +
  'case "$hook" in /tmp/*|/run/*) exec /dev/fd/3 "$@";; *) exec "$hook" "$@" 3<&-;; esac';

/**
 * The command line of one hook in the wg-quick file: the hook's host path and the arguments
 * (hookArguments); with `deviceView` (a device whose paths are mapped into its directory), wrapped
 * by `unshare` so that /tmp and /run are the device's. wg-quick cuts a line at `#`: refused.
 */
export function hookLine(script: string, args: string, deviceView?: { unshare: string; tmp: string; run: string }): string {
  const command = deviceView === undefined
    ? `${shellWord(script)} ${args}`
    : [deviceView.unshare, '-m', '--propagation', 'private', 'sh', '-c', HOOK_NAMESPACE_SCRIPT, 'vfleet-hook', deviceView.tmp, deviceView.run, script].map(shellWord).join(' ') + ` ${args}`;
  if (command.includes('#') || /[\r\n]/.test(command)) throw new Error(`hook ${JSON.stringify(script)}: a path with '#' or a line break cannot go into a wg-quick file`);
  return command;
}

export function formatQuickConfig(c: QuickConfig): string {
  const hook = (key: string, line: string | undefined) => (line === undefined ? [] : [`${key} = ${line}`]);
  return [
    '[Interface]',
    `# ID = ${c.ifname}`,
    `# PublicKey = ${c.devicePublicKey}`,
    `Address = ${c.address}`,
    `ListenPort = ${c.listenPort}`,
    `PrivateKey = ${c.privateKey}`,
    `Table = ${c.table}`,
    ...hook('PreUp', c.hooks.preUp),
    ...hook('PostUp', c.hooks.postUp),
    ...hook('PreDown', c.hooks.preDown),
    ...hook('PostDown', c.hooks.postDown),
    '',
    '[Peer]',
    `AllowedIPs = ${c.peer.allowedIps}`,
    `PublicKey = ${c.peer.publicKey}`,
    `Endpoint = ${c.peer.endpoint}`,
    `PersistentKeepalive = ${c.peer.persistentKeepalive}`,
    '',
    '# [Peridio]',
    `# TunnelID = ${c.tunnelPrn}`,
    `# DPort = ${c.dport}`,
    '',
  ].join('\n');
}

export interface QuickConfigTags {
  ifname: string;
  tunnelPrn: string;
  dport: number;
  address?: string;
}

/** The `# ID`, `# TunnelID` and `# DPort` tags of a written config; undefined when one is missing. */
export function readQuickConfigTags(text: string): QuickConfigTags | undefined {
  const tag = (name: string) => new RegExp(`^#\\s*${name}\\s*=\\s*(\\S+)\\s*$`, 'm').exec(text)?.[1];
  const address = /^Address\s*=\s*(\S+)\s*$/m.exec(text)?.[1];
  const ifname = tag('ID');
  const tunnelPrn = tag('TunnelID');
  const dport = Number(tag('DPort'));
  if (ifname === undefined || tunnelPrn === undefined || !Number.isInteger(dport)) return undefined;
  return { ifname, tunnelPrn, dport, ...(address === undefined ? {} : { address }) };
}
