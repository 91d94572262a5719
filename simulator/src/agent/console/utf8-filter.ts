// Console output is pushed as JSON strings, so only valid UTF-8 may leave the device (protocol §6).

/** Bounds of the second byte after a lead byte (RFC 3629 table 3-7); undefined: not a lead byte. */
function secondByteRange(lead: number): readonly [number, number] | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return [0x80, 0xbf];
  if (lead === 0xe0) return [0xa0, 0xbf];
  if ((lead >= 0xe1 && lead <= 0xec) || lead === 0xee || lead === 0xef) return [0x80, 0xbf];
  if (lead === 0xed) return [0x80, 0x9f];
  if (lead === 0xf0) return [0x90, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [0x80, 0xbf];
  if (lead === 0xf4) return [0x80, 0x8f];
  return undefined;
}

const sequenceLength = (lead: number): number => (lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4);

/**
 * A streaming filter: each call returns the valid UTF-8 of `chunk` as a string. Invalid bytes are
 * dropped (a broken sequence as far as it was valid, as decoders replace it with one U+FFFD); a
 * sequence cut at the end of a chunk is held back and completed by the next one.
 */
export function createUtf8Filter(): (chunk: Uint8Array) => string {
  let held = Buffer.alloc(0);
  return (chunk) => {
    const bytes = held.length === 0 ? Buffer.from(chunk) : Buffer.concat([held, chunk]);
    const out = Buffer.allocUnsafe(bytes.length);
    let n = 0;
    let i = 0;
    held = Buffer.alloc(0);
    while (i < bytes.length) {
      const lead = bytes[i] as number;
      if (lead < 0x80) {
        out[n++] = lead;
        i += 1;
        continue;
      }
      const range = secondByteRange(lead);
      if (range === undefined) {
        i += 1;
        continue;
      }
      const len = sequenceLength(lead);
      let valid = 1;
      while (valid < len && i + valid < bytes.length) {
        const b = bytes[i + valid] as number;
        const [lo, hi] = valid === 1 ? range : [0x80, 0xbf];
        if (b < lo || b > hi) break;
        valid += 1;
      }
      if (valid === len) {
        bytes.copy(out, n, i, i + len);
        n += len;
      } else if (i + valid === bytes.length) {
        held = Buffer.from(bytes.subarray(i));
      }
      i += valid;
    }
    return out.toString('utf8', 0, n);
  };
}
