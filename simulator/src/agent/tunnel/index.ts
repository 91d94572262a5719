export { createTunnelManager, type CloseReason, type LocalTunnelInfo, type TunnelManager, type TunnelManagerOptions } from './tunnel-manager.js';
export { tunnelInterfaceName, wgKeyPair, WG_KEY, type WgKeyPair } from './wg-keys.js';
export { formatCidr, formatIpv4, parseCidr, parseIpv4, subtractCidrs, cidrContains, type Cidr } from './cidr.js';
export { localSubnets } from './local-net.js';
