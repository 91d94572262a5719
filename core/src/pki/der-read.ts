// A minimal DER reader: walks tag-length-value elements and reports malformed input by byte offset.
import { VfleetError } from '../errors.js';

export interface DerNode {
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the last content octet. */
  end: number;
}

function fail(source: string, offset: number, what: string): never {
  throw new VfleetError('VFLEET_PKI_INVALID', `${source}: bad DER at byte ${offset}: ${what}`);
}

export function readNode(buf: Buffer, offset: number, limit: number, source: string): DerNode {
  if (offset + 2 > limit) fail(source, offset, 'truncated element header');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) fail(source, offset, 'multi-byte tags are not used in X.509');
  let length = buf[offset + 1] as number;
  let contentStart = offset + 2;
  if (length === 0x80) fail(source, offset, 'indefinite length is not allowed in DER');
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 4 || contentStart + count > limit) fail(source, offset, 'bad long-form length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[contentStart + i] as number);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) fail(source, offset, `length ${length} runs past the end of its container (byte ${limit})`);
  return { tag, start: offset, contentStart, end };
}

/** Reads a whole buffer that must hold exactly one element. */
export function readRoot(buf: Buffer, source: string): DerNode {
  const node = readNode(buf, 0, buf.length, source);
  if (node.end !== buf.length) {
    fail(source, node.end, `${buf.length - node.end} trailing byte(s) after the top element`);
  }
  return node;
}

export function children(buf: Buffer, node: DerNode, source: string): DerNode[] {
  const out: DerNode[] = [];
  for (let at = node.contentStart; at < node.end; ) {
    const child = readNode(buf, at, node.end, source);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** Returns the child at `index`, checking its tag. */
export function expectChild(
  buf: Buffer,
  kids: DerNode[],
  index: number,
  tag: number,
  what: string,
  source: string,
): DerNode {
  const node = kids[index];
  if (node === undefined) {
    const last = kids.at(-1);
    if (last === undefined) {
      throw new VfleetError('VFLEET_PKI_INVALID', `${source}: bad DER: missing ${what} (empty element)`);
    }
    fail(source, last.end, `missing ${what}`);
  }
  if (node.tag !== tag) {
    fail(source, node.start, `expected ${what} (tag 0x${tag.toString(16)}), found tag 0x${node.tag.toString(16)}`);
  }
  return node;
}

export const content = (buf: Buffer, node: DerNode): Buffer => buf.subarray(node.contentStart, node.end);
export const whole = (buf: Buffer, node: DerNode): Buffer => buf.subarray(node.start, node.end);

export function decodeOid(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** Contents of a BIT STRING that must have no unused bits. */
export function bitStringBytes(buf: Buffer, node: DerNode, source: string): Buffer {
  const bytes = content(buf, node);
  if (bytes[0] !== 0) fail(source, node.contentStart, 'BIT STRING with unused bits where whole octets are required');
  return bytes.subarray(1);
}
