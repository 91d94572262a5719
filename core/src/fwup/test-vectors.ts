// Access to ../shared/vectors/fwup (made by the real fwup 1.16.0) for the tests beside this file.
import fs from 'node:fs';
import { decodeUbootEnv, encodeUbootEnv } from '../uboot-env/index.js';

export const VECTORS = new URL('../../../../shared/vectors/fwup/', import.meta.url);

export const readVector = (name: string): Buffer => fs.readFileSync(new URL(name, VECTORS));
export const vectorText = (name: string): string => readVector(name).toString('utf8');

/** Where the vectors' ab-upgrade.conf puts the env: block 2048, 256 blocks. */
export const ENV_OFFSET = 0x100000;
export const ENV_SIZE = 0x20000;
export const IMAGE_SIZE = 16 * 1024 * 1024;
export const SLOT_A_OFFSET = 4096 * 512;
export const SLOT_B_OFFSET = 20480 * 512;

export function parseEnvLines(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
}

/** A zeroed image with `vars` encoded as a non-redundant env at 0x100000 (as mkenvimage -s 0x20000 -p 0xff). */
export function imageWithEnv(vars: Map<string, string>, size = IMAGE_SIZE): Buffer {
  const image = Buffer.alloc(size);
  encodeUbootEnv(vars, { size: ENV_SIZE, pad: 0xff }).copy(image, ENV_OFFSET);
  return image;
}

/** The env of an image as sorted `fw_printenv` lines. */
export function envLines(image: Buffer): string {
  const { vars } = decodeUbootEnv(image.subarray(ENV_OFFSET, ENV_OFFSET + ENV_SIZE));
  return [...vars].map(([k, v]) => `${k}=${v}`).sort().join('\n');
}
