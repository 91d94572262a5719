// BLAKE2b (RFC 7693, unkeyed) with a chosen digest length: node:crypto only offers the 64-byte form.
import { BLOCKS_CAPACITY, BLOCKS_OFFSET, compressFunction, H_OFFSET, IV } from './blake2b-wasm.js';

const BLOCK = 128;

function initialChainValue(outLength: number): Buffer {
  const h = Buffer.alloc(64);
  IV.forEach((word, i) => h.writeBigUInt64LE(word, i * 8));
  // Parameter block word 0: digest length, key length 0, fanout 1, depth 1.
  h.writeUInt32LE((h.readUInt32LE(0) ^ 0x01010000 ^ outLength) >>> 0, 0);
  return h;
}

/** Incremental BLAKE2b: `update` any number of times, then `digest` once. */
export class Blake2b {
  private readonly h: Buffer;
  private readonly pending = Buffer.alloc(BLOCK);
  private filled = 0;
  private counter = 0;
  private done = false;

  constructor(private readonly outLength: number) {
    if (!Number.isInteger(outLength) || outLength < 1 || outLength > 64) {
      throw new RangeError(`BLAKE2b digest length ${outLength} is out of range; expected 1..64 bytes`);
    }
    this.h = initialChainValue(outLength);
  }

  update(data: Uint8Array): this {
    if (this.done) throw new Error('BLAKE2b: update after digest');
    const { memory, compress } = compressFunction();
    memory.set(this.h, H_OFFSET);
    // counter after `blocks` more whole blocks: what compress wants for the first of them
    const run = (blocks: number): void => {
      const first = this.counter + BLOCK;
      compress(BLOCKS_OFFSET, blocks, first >>> 0, Math.floor(first / 0x100000000), 0);
      this.counter += blocks * BLOCK;
    };
    let pos = 0;
    while (pos < data.length) {
      if (this.filled === BLOCK) {
        memory.set(this.pending, BLOCKS_OFFSET);
        run(1);
        this.filled = 0;
      }
      // The final block is compressed differently, so at least one byte always stays pending.
      const whole = this.filled === 0 ? Math.min(Math.floor((data.length - pos - 1) / BLOCK), BLOCKS_CAPACITY / BLOCK) : 0;
      if (whole > 0) {
        memory.set(data.subarray(pos, pos + whole * BLOCK), BLOCKS_OFFSET);
        run(whole);
        pos += whole * BLOCK;
        continue;
      }
      const take = Math.min(BLOCK - this.filled, data.length - pos);
      this.pending.set(data.subarray(pos, pos + take), this.filled);
      this.filled += take;
      pos += take;
    }
    this.h.set(memory.subarray(H_OFFSET, H_OFFSET + 64));
    return this;
  }

  digest(): Buffer {
    if (this.done) throw new Error('BLAKE2b: digest called twice');
    this.done = true;
    const { memory, compress } = compressFunction();
    memory.set(this.h, H_OFFSET);
    this.pending.fill(0, this.filled);
    memory.set(this.pending, BLOCKS_OFFSET);
    this.counter += this.filled;
    compress(BLOCKS_OFFSET, 1, this.counter >>> 0, Math.floor(this.counter / 0x100000000), 1);
    return Buffer.from(memory.subarray(H_OFFSET, H_OFFSET + this.outLength));
  }
}

/** BLAKE2b of `data` with an `outLength`-byte digest (1..64). */
export function blake2b(data: Uint8Array, outLength = 64): Buffer {
  return new Blake2b(outLength).update(data).digest();
}

/** The lowercase-hex BLAKE2b-256 that fwup stores as a resource's `blake2b-256`. */
export function blake2b256Hex(data: Uint8Array): string {
  return blake2b(data, 32).toString('hex');
}
