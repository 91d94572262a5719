// The few WebAssembly binary-format encoders the BLAKE2b modules need.

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb64(value: bigint): number[] {
  let n = BigInt.asIntN(64, value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

export const withSize = (bytes: number[]): number[] => [...uleb(bytes.length), ...bytes];
export const section = (id: number, bytes: number[]): number[] => [id, ...withSize(bytes)];
export const text = (s: string): number[] => withSize([...Buffer.from(s, 'ascii')]);
