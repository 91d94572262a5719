// A tunnel's `cidr_block_allowlist` (protocol §7.2): the client addresses that may use the tunnel's
// user-side port. An empty list lets every client in; the forward listens on 127.0.0.1 only.
import { BlockList, isIP } from 'node:net';

/** `address/prefix` (IPv4 or IPv6) or a bare address (one host); why not, or undefined when it is one. */
export function allowlistEntryError(text: string): string | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return `${JSON.stringify(text)} is not an IPv4 or IPv6 address or CIDR block`;
  if (slash < 0) return undefined;
  const prefix = text.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `${JSON.stringify(text)}: the prefix length must be 0 to ${max}`;
  return undefined;
}

/** Whether a client address may connect; undefined (everyone may) for an empty list. Entries are checked on input. */
export function allowlistChecker(list: readonly string[]): ((address: string | undefined) => boolean) | undefined {
  if (list.length === 0) return undefined;
  const blocks = new BlockList();
  for (const entry of list) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) blocks.addAddress(address, family);
    else blocks.addSubnet(address, Number(prefix), family);
  }
  return (address) => {
    if (address === undefined) return false;
    // an IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (v4 !== undefined) return blocks.check(v4, 'ipv4');
    return blocks.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  };
}
