// fwup's handling of a uboot-environment section: read (choosing a redundant copy as fwup does),
// change, and write back sorted by name and padded with 0xff, using core's env codec.
import { decodeUbootEnv, encodeUbootEnv } from '../uboot-env/index.js';
import { fwupError } from './fwup-error.js';
import type { FwupMeta, FwupUbootEnv } from './meta-types.js';
import { BLOCK_SIZE, type PlannedImage } from './planned-image.js';

export interface EnvState {
  vars: Map<string, string>;
  /** Generation byte the next write builds on (redundant envs only). */
  flags: number;
  writePrimary: boolean;
  writeSecondary: boolean;
}

export function findEnv(meta: FwupMeta, name: string, where: string): FwupUbootEnv {
  const env = meta.ubootEnvs.find((e) => e.name === name);
  if (env === undefined) {
    const known = meta.ubootEnvs.map((e) => JSON.stringify(e.name)).join(', ') || 'none';
    throw fwupError('task', where, `can't find uboot-environment reference ${JSON.stringify(name)} in meta.conf (defined: ${known})`);
  }
  return env;
}

const envSize = (env: FwupUbootEnv): number => env.blockCount * BLOCK_SIZE;
const hex = (n: number): string => `0x${n.toString(16)}`;

function readCopy(image: PlannedImage, env: FwupUbootEnv, block: number, redundant: boolean, what: string): Map<string, string> {
  const offset = block * BLOCK_SIZE;
  const source = `${what}: uboot-environment ${JSON.stringify(env.name)} at byte ${hex(offset)}`;
  return decodeUbootEnv(image.read(offset, envSize(env), source), { redundant, source }).vars;
}

/** The env as fwup reads it; throws (VFLEET_ENV_INVALID) when no copy is valid. */
export function readEnv(image: PlannedImage, env: FwupUbootEnv, what: string): EnvState {
  if (env.blockOffsetRedund === undefined) {
    return { vars: readCopy(image, env, env.blockOffset, false, what), flags: 0, writePrimary: true, writeSecondary: false };
  }
  const redund = env.blockOffsetRedund;
  const flag1 = image.read(env.blockOffset * BLOCK_SIZE + 4, 1, what)[0]!;
  const flag2 = image.read(redund * BLOCK_SIZE + 4, 1, what)[0]!;
  const delta = (flag2 - flag1) & 0xff;
  // fwup prefers the primary on a tie or when the secondary's flag is "behind" (delta >= 128).
  const primaryFirst = delta === 0 || delta >= 128;
  const order = primaryFirst
    ? [{ block: env.blockOffset, flag: flag1, primary: true }, { block: redund, flag: flag2, primary: false }]
    : [{ block: redund, flag: flag2, primary: false }, { block: env.blockOffset, flag: flag1, primary: true }];
  const [first, second] = order as [(typeof order)[0], (typeof order)[0]];
  try {
    const vars = readCopy(image, env, first.block, true, what);
    return { vars, flags: first.flag, writePrimary: !first.primary, writeSecondary: first.primary };
  } catch {
    const vars = readCopy(image, env, second.block, true, what);
    return { vars, flags: second.flag, writePrimary: !second.primary, writeSecondary: second.primary };
  }
}

/** A new empty env: for a redundant env both copies are written, with flag 1. */
export function freshEnv(env: FwupUbootEnv): EnvState {
  return { vars: new Map(), flags: 0, writePrimary: true, writeSecondary: env.blockOffsetRedund !== undefined };
}

export function writeEnv(image: PlannedImage, env: FwupUbootEnv, state: EnvState, what: string): void {
  const redundant = env.blockOffsetRedund !== undefined;
  const names = [...state.vars.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const sorted = new Map(names.map((n) => [n, state.vars.get(n) as string]));
  let used = (redundant ? 5 : 4) + 1;
  for (const [name, value] of sorted) used += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
  // fwup keeps one more byte free than the format needs.
  if (used > envSize(env) - 1) {
    throw fwupError('task', what, `Not enough room in U-boot environment ${JSON.stringify(env.name)}: ${used} bytes needed, ${envSize(env) - 1} usable`);
  }
  const block = encodeUbootEnv(sorted, { size: envSize(env), pad: 0xff, ...(redundant ? { redundant: true, flag: (state.flags + 1) & 0xff } : {}) });
  if (state.writePrimary) image.write(env.blockOffset * BLOCK_SIZE, block, `${what}: uboot-environment ${JSON.stringify(env.name)}`);
  if (state.writeSecondary && env.blockOffsetRedund !== undefined) {
    image.write(env.blockOffsetRedund * BLOCK_SIZE, block, `${what}: uboot-environment ${JSON.stringify(env.name)} (redundant copy)`);
  }
}
