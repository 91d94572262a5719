// IPv4 CIDR arithmetic for the blocks a device offers in `POST /tunnels/<prn>/configure` (protocol §7.3).

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export const formatIpv4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

const size = (prefix: number): number => 2 ** (32 - prefix);

/** `a.b.c.d/p` (host bits are cleared) or a bare address as /32; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, len, extra] = text.split('/');
  if (extra !== undefined || ip === undefined) return undefined;
  const addr = parseIpv4(ip);
  const prefix = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (addr === undefined || !(prefix >= 0 && prefix <= 32)) return undefined;
  return { base: addr - (addr % size(prefix)), prefix };
}

export const formatCidr = (c: Cidr): string => `${formatIpv4(c.base)}/${c.prefix}`;

export const cidrContains = (outer: Cidr, ip: number): boolean => ip >= outer.base && ip < outer.base + size(outer.prefix);

const overlaps = (a: Cidr, b: Cidr): boolean => a.base < b.base + size(b.prefix) && b.base < a.base + size(a.prefix);

/** `block` minus `hole`, as the fewest CIDRs (halving the block around the hole). */
function subtractOne(block: Cidr, hole: Cidr): Cidr[] {
  if (!overlaps(block, hole)) return [block];
  if (hole.prefix <= block.prefix) return [];
  const half = size(block.prefix + 1);
  return [
    ...subtractOne({ base: block.base, prefix: block.prefix + 1 }, hole),
    ...subtractOne({ base: block.base + half, prefix: block.prefix + 1 }, hole),
  ];
}

/** Every block minus every hole, in the blocks' order (a block may become many fragments). */
export function subtractCidrs(blocks: readonly Cidr[], holes: readonly Cidr[]): Cidr[] {
  let rest = [...blocks];
  for (const hole of holes) rest = rest.flatMap((b) => subtractOne(b, hole));
  return rest;
}
