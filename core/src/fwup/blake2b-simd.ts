// BLAKE2b's compression function on 128-bit SIMD lanes: each row of the 4×4 state is two i64x2
// vectors, as in the reference SSE implementation (two G functions per instruction, diagonals by
// lane shuffles). Same signature and memory layout as the scalar module.
import { IV, SIGMA } from './blake2b-params.js';
import { sleb64, uleb } from './wasm-encode.js';

const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, localGet: 0x20, localSet: 0x21, i32Const: 0x41,
  i64Const: 0x42, i32GeU: 0x4f, i32Add: 0x6a, i32Sub: 0x6b, i32Shl: 0x74, i64Add: 0x7c, i64Or: 0x84, i64Shl: 0x86,
  i64ExtendI32S: 0xac, i64ExtendI32U: 0xad,
} as const;
const VOID = 0x40;
const simd = (code: number, ...imm: number[]): number[] => [0xfd, ...uleb(code), ...imm];
const v128 = {
  load: (offset: number) => simd(0x00, 4, ...uleb(offset)),
  store: (offset: number) => simd(0x0b, 4, ...uleb(offset)),
  const: (lo: bigint, hi: bigint) => {
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64LE(BigInt.asUintN(64, lo), 0);
    bytes.writeBigUInt64LE(BigInt.asUintN(64, hi), 8);
    return simd(0x0c, ...bytes);
  },
  shuffle: (lanes: readonly number[]) => simd(0x0d, ...lanes),
  replaceLane: (lane: number) => simd(0x1e, lane),
  xor: simd(0x51),
  or: simd(0x50),
  load64Lane: (offset: number, lane: number) => simd(0x57, 3, ...uleb(offset), lane),
  load64Zero: (offset: number) => simd(0x5d, 3, ...uleb(offset)),
  shrU: simd(0xcd),
  shl: simd(0xcb),
  add: simd(0xce),
};

// Parameters as the scalar module: 0 block pointer, 1 block count, 2/3 counter low/high after the
// first block, 4 last-block flag. Locals: rows a,b,c,d as low/high vector pairs, a temporary, the
// final-block mask, the counter and the end pointer.
const [A0, A1, B0, B1, C0, C1, D0, D1, X, F] = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
const T = 15;
const END = 16;

const range = (from: number): number[] => Array.from({ length: 8 }, (_, i) => from + i);
/** Byte lanes of an i8x16.shuffle taking 64-bit lane `i` of the first operand, then lane `j` of the second. */
const pick = (i: number, j: number): number[] => [...range(i * 8), ...range(16 + j * 8)];
/** Swaps the 32-bit halves of each 64-bit lane (rotate right by 32). */
const SWAP_HALVES = [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11];

export function simdCompressBody(hOffset: number): number[] {
  const code: number[] = [];
  const get = (i: number): void => void code.push(op.localGet, i);
  const set = (i: number): void => void code.push(op.localSet, i);
  /** (m[x], m[y]) from the block in memory. */
  const message = (x: number, y: number): void => {
    get(0);
    get(0);
    code.push(...v128.load64Zero(x * 8), ...v128.load64Lane(y * 8, 1));
  };
  const shuffle2 = (dst: number, a: number, b: number, lanes: number[]): void => {
    get(a);
    get(b);
    code.push(...v128.shuffle(lanes));
    set(dst);
  };
  // Rotations by 24 and 16 as two shifts and an or: measured faster in V8 than byte shuffles.
  const rotr = (r: number, bits: number): void => {
    get(r);
    if (bits === 32) {
      get(r);
      code.push(...v128.shuffle(SWAP_HALVES));
    } else if (bits === 63) {
      get(r);
      code.push(...v128.add);
      get(r);
      code.push(op.i32Const, 63, ...v128.shrU, ...v128.or);
    } else {
      code.push(op.i32Const, bits, ...v128.shrU);
      get(r);
      code.push(op.i32Const, 64 - bits, ...v128.shl, ...v128.or);
    }
    set(r);
  };
  /** One half of G on both row halves: a += b + m; d = (d ^ a) >>> r1; c += d; b = (b ^ c) >>> r2. */
  const half = (m: [number, number, number, number], r1: number, r2: number): void => {
    for (const [a, b, x, y] of [[A0, B0, m[0], m[1]], [A1, B1, m[2], m[3]]] as const) {
      get(a);
      get(b);
      code.push(...v128.add);
      message(x, y);
      code.push(...v128.add);
      set(a);
    }
    for (const [d, a] of [[D0, A0], [D1, A1]] as const) {
      get(d);
      get(a);
      code.push(...v128.xor);
      set(d);
      rotr(d, r1);
    }
    for (const [c, d] of [[C0, D0], [C1, D1]] as const) {
      get(c);
      get(d);
      code.push(...v128.add);
      set(c);
    }
    for (const [b, c] of [[B0, C0], [B1, C1]] as const) {
      get(b);
      get(c);
      code.push(...v128.xor);
      set(b);
      rotr(b, r2);
    }
  };
  const g = (s: readonly number[], at: number): void => {
    half([s[at] as number, s[at + 2] as number, s[at + 4] as number, s[at + 6] as number], 32, 24);
    half([s[at + 1] as number, s[at + 3] as number, s[at + 5] as number, s[at + 7] as number], 16, 63);
  };
  // counter and final-block mask
  get(2);
  code.push(op.i64ExtendI32U);
  get(3);
  code.push(op.i64ExtendI32U, op.i64Const, 32, op.i64Shl, op.i64Or);
  set(T);
  code.push(...v128.const(0n, 0n), op.i32Const, 0);
  get(4);
  code.push(op.i32Sub, op.i64ExtendI32S, ...v128.replaceLane(0));
  set(F);
  get(0);
  get(1);
  code.push(op.i32Const, 7, op.i32Shl, op.i32Add);
  set(END);
  code.push(op.block, VOID, op.loop, VOID);
  get(0);
  get(END);
  code.push(op.i32GeU, op.brIf, 1);
  for (const [r, at] of [[A0, 0], [A1, 16], [B0, 32], [B1, 48]] as const) {
    code.push(op.i32Const, 0, ...v128.load(hOffset + at));
    set(r);
  }
  code.push(...v128.const(IV[0] as bigint, IV[1] as bigint));
  set(C0);
  code.push(...v128.const(IV[2] as bigint, IV[3] as bigint));
  set(C1);
  code.push(...v128.const(0n, 0n));
  get(T);
  code.push(...v128.replaceLane(0), ...v128.const(IV[4] as bigint, IV[5] as bigint), ...v128.xor);
  set(D0);
  get(F);
  code.push(...v128.const(IV[6] as bigint, IV[7] as bigint), ...v128.xor);
  set(D1);
  for (let round = 0; round < 12; round++) {
    const s = SIGMA[round % 10] as readonly number[];
    g(s, 0);
    // diagonalise: b = (v5,v6),(v7,v4); c = (v10,v11),(v8,v9); d = (v15,v12),(v13,v14)
    shuffle2(X, B0, B1, pick(1, 0));
    shuffle2(B1, B1, B0, pick(1, 0));
    get(X);
    set(B0);
    get(C0);
    get(C1);
    set(C0);
    set(C1);
    shuffle2(X, D1, D0, pick(1, 0));
    shuffle2(D1, D0, D1, pick(1, 0));
    get(X);
    set(D0);
    g(s, 8);
    // undo: b = (v4,v5),(v6,v7); c swapped back; d = (v12,v13),(v14,v15)
    shuffle2(X, B1, B0, pick(1, 0));
    shuffle2(B1, B0, B1, pick(1, 0));
    get(X);
    set(B0);
    get(C0);
    get(C1);
    set(C0);
    set(C1);
    shuffle2(X, D0, D1, pick(1, 0));
    shuffle2(D1, D1, D0, pick(1, 0));
    get(X);
    set(D0);
  }
  // h ^= (v0..v7) ^ (v8..v15)
  for (const [lo, hi, at] of [[A0, C0, 0], [A1, C1, 16], [B0, D0, 32], [B1, D1, 48]] as const) {
    code.push(op.i32Const, 0, op.i32Const, 0, ...v128.load(hOffset + at));
    get(lo);
    code.push(...v128.xor);
    get(hi);
    code.push(...v128.xor, ...v128.store(hOffset + at));
  }
  get(T);
  code.push(op.i64Const, ...sleb64(128n), op.i64Add);
  set(T);
  get(0);
  code.push(op.i32Const, ...sleb64(128n), op.i32Add);
  set(0);
  code.push(op.br, 0, op.end, op.end, op.end);
  return [...uleb(3), ...uleb(F - A0 + 1), 0x7b, 1, 0x7e, 1, 0x7f, ...code];
}
