import zlib from 'node:zlib';

/** CRC-32 with the IEEE/zlib polynomial (as U-Boot stores it in an env header). */
export function crc32(data: Uint8Array, initial = 0): number {
  return zlib.crc32(data, initial) >>> 0;
}

/** `0x` + 8 lowercase hex digits, the form every CRC appears in within error messages. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

// Reflected polynomial arithmetic modulo the CRC-32 polynomial; bit 31 is x^0.
const POLY = 0xedb88320;
const X0 = 0x80000000;

function multModP(a: number, b: number): number {
  let product = 0;
  for (let m = X0; m !== 0; m >>>= 1) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** X2N[k] = x^(2^k) mod P. */
const X2N: number[] = [X0 >>> 1];
for (let k = 1; k < 32; k++) X2N.push(multModP(X2N[k - 1] as number, X2N[k - 1] as number));

/** x^(8·bytes) mod P: the factor that moves a CRC past `bytes` zero bits' worth of data. */
function shiftFactor(bytes: number): number {
  let factor = X0;
  for (let n = bytes, k = 3; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) factor = multModP(X2N[k % 32] as number, factor);
  }
  return factor;
}

/** CRC-32 of A‖B from crc32(A), crc32(B) and B's length, without touching the bytes again. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(shiftFactor(lengthB), crcA) ^ crcB) >>> 0;
}
