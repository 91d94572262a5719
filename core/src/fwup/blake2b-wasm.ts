// The BLAKE2b compression function F (RFC 7693 §3.2), emitted as a WebAssembly module with native
// 64-bit arithmetic: plain JS on 32-bit halves hashes ~15 MB/s, too slow to check a rootfs image.
// The 128-bit SIMD form (blake2b-simd.ts) is used where the engine supports it; this scalar form
// is the fallback.
import { IV, SIGMA } from './blake2b-params.js';
import { simdCompressBody } from './blake2b-simd.js';
import { section, sleb64, text, uleb, withSize } from './wasm-encode.js';

export { IV } from './blake2b-params.js';

/** The columns then diagonals that G mixes in each round. */
const MIX = [
  [0, 4, 8, 12], [1, 5, 9, 13], [2, 6, 10, 14], [3, 7, 11, 15],
  [0, 5, 10, 15], [1, 6, 11, 12], [2, 7, 8, 13], [3, 4, 9, 14],
] as const;

/** Byte offset of the 64-byte chain value h in the module's memory. */
export const H_OFFSET = 0;
/** Byte offset where message blocks are staged. */
export const BLOCKS_OFFSET = 128;
/** Bytes of blocks staged per call (memory is 17 64 KiB pages: h, then 1 MiB of blocks). */
export const BLOCKS_CAPACITY = 1024 * 1024;
const PAGES = 17;

const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, localGet: 0x20, localSet: 0x21, i32Const: 0x41, i64Const: 0x42,
  i64Load: 0x29, i64Store: 0x37, i32GeU: 0x4f, i32Add: 0x6a, i32Sub: 0x6b, i32Shl: 0x74, i64Add: 0x7c, i64Or: 0x84,
  i64Xor: 0x85, i64Shl: 0x86, i64Rotr: 0x8a, i64ExtendI32S: 0xac, i64ExtendI32U: 0xad,
} as const;
const VOID = 0x40;

// Parameters: 0 block pointer, 1 block count, 2/3 counter low/high after the first block, 4 last-block
// flag. Locals: h, v and m as i64, the counter t, and the end pointer.
const H = 5;
const V = H + 8;
const M = V + 16;
const T = M + 16;
const END = T + 1;

/** compress(ptr, n, tLow, tHigh, last): n blocks at ptr into h; the counter grows by 128 after each. */
function compressBody(): number[] {
  const code: number[] = [];
  const get = (i: number): void => void code.push(op.localGet, i);
  const set = (i: number): void => void code.push(op.localSet, i);
  get(2);
  code.push(op.i64ExtendI32U);
  get(3);
  code.push(op.i64ExtendI32U, op.i64Const, 32, op.i64Shl, op.i64Or);
  set(T);
  for (let i = 0; i < 8; i++) {
    code.push(op.i32Const, 0, op.i64Load, 3, ...uleb(H_OFFSET + i * 8));
    set(H + i);
  }
  get(0);
  get(1);
  code.push(op.i32Const, 7, op.i32Shl, op.i32Add);
  set(END);
  code.push(op.block, VOID, op.loop, VOID);
  get(0);
  get(END);
  code.push(op.i32GeU, op.brIf, 1);
  for (let i = 0; i < 8; i++) {
    get(H + i);
    set(V + i);
    code.push(op.i64Const, ...sleb64(IV[i] as bigint));
    set(V + 8 + i);
  }
  // v12 ^= t (low 64 bits of the byte counter); v14 = ~v14 on the last block.
  get(V + 12);
  get(T);
  code.push(op.i64Xor);
  set(V + 12);
  get(V + 14);
  code.push(op.i32Const, 0);
  get(4);
  code.push(op.i32Sub, op.i64ExtendI32S, op.i64Xor);
  set(V + 14);
  const addInto = (a: number, b: number, x?: number): void => {
    get(V + a);
    get(V + b);
    code.push(op.i64Add);
    if (x !== undefined) {
      // message words are read from memory where used: fewer live values than 16 locals
      get(0);
      code.push(op.i64Load, 3, ...uleb(x * 8), op.i64Add);
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
    get(H + i);
    get(V + i);
    code.push(op.i64Xor);
    get(V + 8 + i);
    code.push(op.i64Xor);
    set(H + i);
  }
  get(T);
  code.push(op.i64Const, ...sleb64(128n), op.i64Add);
  set(T);
  get(0);
  code.push(op.i32Const, ...sleb64(128n), op.i32Add);
  set(0);
  code.push(op.br, 0, op.end, op.end);
  for (let i = 0; i < 8; i++) {
    code.push(op.i32Const, 0);
    get(H + i);
    code.push(op.i64Store, 3, ...uleb(H_OFFSET + i * 8));
  }
  code.push(op.end);
  return [...uleb(2), ...uleb(END - H), 0x7e, ...uleb(1), 0x7f, ...code];
}

function moduleBytes(body: number[]): Uint8Array {
  const i32 = 0x7f;
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 5, i32, i32, i32, i32, i32, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, ...uleb(PAGES)]),
    ...section(7, [2, ...text('memory'), 2, 0, ...text('compress'), 0, 0]),
    ...section(10, [1, ...withSize(body)]),
  ]);
}

export interface CompressFunction {
  memory: Uint8Array;
  /**
   * Compresses `count` blocks at `offset` into h. The counter is the byte count including the first
   * block and grows by 128 for each next one; `last` (1) marks a final block (count 1).
   */
  compress(offset: number, count: number, counterLow: number, counterHigh: number, last: number): void;
}

/** The slice of the WebAssembly API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown) => { exports: Record<string, unknown> };
}

export type CompressForm = 'simd' | 'scalar';

/** A fresh instance of one form of the module (compiling throws where the engine lacks SIMD). */
export function createCompressFunction(form: CompressForm): CompressFunction {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const body = form === 'simd' ? simdCompressBody(H_OFFSET) : compressBody();
  const { exports } = new wasm.Instance(new wasm.Module(moduleBytes(body)));
  const memory = exports['memory'] as { buffer: ArrayBuffer };
  return { memory: new Uint8Array(memory.buffer), compress: exports['compress'] as CompressFunction['compress'] };
}

let instance: CompressFunction | undefined;

/** The module, built on first use and shared (callers save and restore h around their work). */
export function compressFunction(): CompressFunction {
  if (instance === undefined) {
    try {
      instance = createCompressFunction('simd');
    } catch {
      // engines (or CPUs) without 128-bit SIMD get the scalar form
      instance = createCompressFunction('scalar');
    }
  }
  return instance;
}
