// The BLAKE2b compression function F (RFC 7693 §3.2), emitted as a WebAssembly module with native
// 64-bit arithmetic: plain JS on 32-bit halves hashes ~15 MB/s, too slow to check a rootfs image.

/** Initialisation vector (RFC 7693 §2.6). */
export const IV = [
  0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];

/** Message schedule σ (RFC 7693 §2.7); rounds 10 and 11 reuse rows 0 and 1. */
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
] as const;

/** The columns then diagonals that G mixes in each round. */
const MIX = [
  [0, 4, 8, 12], [1, 5, 9, 13], [2, 6, 10, 14], [3, 7, 11, 15],
  [0, 5, 10, 15], [1, 6, 11, 12], [2, 7, 8, 13], [3, 4, 9, 14],
] as const;

/** Byte offset of the 64-byte chain value h in the module's memory. */
export const H_OFFSET = 0;
/** Byte offset where message blocks are staged. */
export const BLOCKS_OFFSET = 128;
/** Bytes of blocks staged per call batch (memory is two 64 KiB pages). */
export const BLOCKS_CAPACITY = 65536;

const op = {
  end: 0x0b, localGet: 0x20, localSet: 0x21, i32Const: 0x41, i64Const: 0x42, i64Load: 0x29, i64Store: 0x37,
  i32Sub: 0x6b, i64Add: 0x7c, i64Or: 0x84, i64Xor: 0x85, i64Shl: 0x86, i64Rotr: 0x8a, i64ExtendI32S: 0xac,
  i64ExtendI32U: 0xad,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb64(value: bigint): number[] {
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

const withSize = (bytes: number[]): number[] => [...uleb(bytes.length), ...bytes];
const section = (id: number, bytes: number[]): number[] => [id, ...withSize(bytes)];
const text = (s: string): number[] => withSize([...Buffer.from(s, 'ascii')]);

// Parameters: 0 block offset, 1 counter low, 2 counter high, 3 last-block flag; locals 4..19 = v, 20..35 = m.
const V = 4;
const M = 20;

function compressBody(): number[] {
  const code: number[] = [];
  const get = (i: number): void => void code.push(op.localGet, i);
  const set = (i: number): void => void code.push(op.localSet, i);
  for (let i = 0; i < 8; i++) {
    code.push(op.i32Const, 0, op.i64Load, 3, ...uleb(H_OFFSET + i * 8));
    set(V + i);
    code.push(op.i64Const, ...sleb64(IV[i] as bigint));
    set(V + 8 + i);
  }
  for (let i = 0; i < 16; i++) {
    get(0);
    code.push(op.i64Load, 3, ...uleb(i * 8));
    set(M + i);
  }
  // v12 ^= t (low 64 bits of the byte counter); v14 = ~v14 on the last block.
  get(V + 12);
  get(1);
  code.push(op.i64ExtendI32U);
  get(2);
  code.push(op.i64ExtendI32U, op.i64Const, 32, op.i64Shl, op.i64Or, op.i64Xor);
  set(V + 12);
  get(V + 14);
  code.push(op.i32Const, 0);
  get(3);
  code.push(op.i32Sub, op.i64ExtendI32S, op.i64Xor);
  set(V + 14);
  const addInto = (a: number, b: number, x?: number): void => {
    get(V + a);
    get(V + b);
    code.push(op.i64Add);
    if (x !== undefined) {
      get(M + x);
      code.push(op.i64Add);
    }
    set(V + a);
  };
  const xorRotr = (d: number, a: number, bits: number): void => {
    get(V + d);
    get(V + a);
    code.push(op.i64Xor, op.i64Const, bits, op.i64Rotr);
    set(V + d);
  };
  for (let round = 0; round < 12; round++) {
    const s = SIGMA[round % 10] as readonly number[];
    MIX.forEach(([a, b, c, d], g) => {
      addInto(a, b, s[2 * g]);
      xorRotr(d, a, 32);
      addInto(c, d);
      xorRotr(b, c, 24);
      addInto(a, b, s[2 * g + 1]);
      xorRotr(d, a, 16);
      addInto(c, d);
      xorRotr(b, c, 63);
    });
  }
  for (let i = 0; i < 8; i++) {
    code.push(op.i32Const, 0, op.i32Const, 0, op.i64Load, 3, ...uleb(H_OFFSET + i * 8));
    get(V + i);
    code.push(op.i64Xor);
    get(V + 8 + i);
    code.push(op.i64Xor, op.i64Store, 3, ...uleb(H_OFFSET + i * 8));
  }
  code.push(op.end);
  return [...uleb(1), ...uleb(32), 0x7e, ...code];
}

function moduleBytes(): Uint8Array {
  const i32 = 0x7f;
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 4, i32, i32, i32, i32, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 2]),
    ...section(7, [2, ...text('memory'), 2, 0, ...text('compress'), 0, 0]),
    ...section(10, [1, ...withSize(compressBody())]),
  ]);
}

export interface CompressFunction {
  memory: Uint8Array;
  /** Compresses the block at `offset` into h; the counter is the byte count including this block. */
  compress(offset: number, counterLow: number, counterHigh: number, last: number): void;
}

/** The slice of the WebAssembly API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown) => { exports: Record<string, unknown> };
}

let instance: CompressFunction | undefined;

/** The compiled module, built on first use and shared (callers save and restore h around their work). */
export function compressFunction(): CompressFunction {
  if (instance === undefined) {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const { exports } = new wasm.Instance(new wasm.Module(moduleBytes()));
    const memory = exports['memory'] as { buffer: ArrayBuffer };
    instance = { memory: new Uint8Array(memory.buffer), compress: exports['compress'] as CompressFunction['compress'] };
  }
  return instance;
}
