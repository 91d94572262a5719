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
