// A minimal DER encoder: just the universal types X.509 certificates and PKCS#10 requests need.

/** One tag-length-value element; `tag` is the full identifier octet (e.g. 0x30 for SEQUENCE). */
export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  let length = 0;
  for (const part of content) length += part.length;
  if (length > 0xffffff) throw new RangeError(`DER element of ${length} bytes is beyond this encoder's 16 MiB limit`);
  const lengthBytes = length < 0x80 ? 0 : length < 0x100 ? 1 : length < 0x10000 ? 2 : 3;
  // One allocation per element: certificates are built thousands of times a second.
  const out = Buffer.allocUnsafe(2 + lengthBytes + length);
  out[0] = tag;
  out[1] = lengthBytes === 0 ? length : 0x80 | lengthBytes;
  for (let i = lengthBytes; i > 0; i--) out[1 + i] = (length >> (8 * (lengthBytes - i))) & 0xff;
  let at = 2 + lengthBytes;
  for (const part of content) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, ...items);
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, ...items);
export const octetString = (bytes: Uint8Array): Buffer => tlv(0x04, bytes);
export const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
export const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
/** BIT STRING with no unused bits. */
export const bitString = (bytes: Uint8Array): Buffer => tlv(0x03, Buffer.from([0]), bytes);
/** Context-specific constructed tag [n], used for EXPLICIT and constructed IMPLICIT fields. */
export const explicit = (n: number, ...content: Uint8Array[]): Buffer => tlv(0xa0 | n, ...content);

/** INTEGER from a non-negative big-endian magnitude, minimally encoded. */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const needsPad = trimmed.length === 0 || (trimmed[0] as number) >= 0x80;
  return tlv(0x02, needsPad ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export const smallInteger = (n: number): Buffer => unsignedInteger(Buffer.from([n]));

const oidCache = new Map<string, Buffer>();

/** Cached: the same few OIDs are encoded into every certificate. */
export function objectIdentifier(dotted: string): Buffer {
  let der = oidCache.get(dotted);
  if (der === undefined) {
    der = encodeOid(dotted);
    oidCache.set(dotted, der);
  }
  return der;
}

function encodeOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const groups = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) groups.unshift(0x80 | (n & 0x7f));
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** RFC 5280 §4.1.2.5: UTCTime for years 1950–2049, GeneralizedTime otherwise; whole seconds, Zulu. */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const rest =
    pad2(date.getUTCMonth() + 1) +
    pad2(date.getUTCDate()) +
    pad2(date.getUTCHours()) +
    pad2(date.getUTCMinutes()) +
    pad2(date.getUTCSeconds()) +
    'Z';
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(pad2(year % 100) + rest, 'ascii'));
  return tlv(0x18, Buffer.from(String(year).padStart(4, '0') + rest, 'ascii'));
}
