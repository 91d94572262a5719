import { isVfleetError, VfleetError } from '../errors.js';
import { type DecodedEnv, decodeUbootEnv } from './decode.js';

export type CopyIndex = 0 | 1;

export interface SelectedCopy {
  index: CopyIndex;
  vars: Map<string, string>;
  flag: number;
}

/** True when flag `a` is the same generation as `b` or newer, counting modulo 256. */
export function isFlagNewerOrEqual(a: number, b: number): boolean {
  return ((a - b) & 0xff) < 128;
}

/** Where the next write of a redundant env goes: the copy not selected, one generation on. */
export function nextWrite(selected: { index: CopyIndex; flag: number }): { index: CopyIndex; flag: number } {
  return { index: selected.index === 0 ? 1 : 0, flag: (selected.flag + 1) & 0xff };
}

/** One copy's outcome: decoded, or the reason it is unusable. */
export type CopyResult = DecodedEnv | VfleetError;

/** Decodes one copy, turning an invalid-env rejection into a result rather than a throw. */
export function tryDecodeCopy(bytes: Uint8Array, source: string): CopyResult {
  try {
    return decodeUbootEnv(bytes, { redundant: true, source });
  } catch (e) {
    if (isVfleetError(e) && e.code === 'VFLEET_ENV_INVALID') return e;
    throw e;
  }
}

function picked(index: CopyIndex, env: DecodedEnv): SelectedCopy {
  return { index, vars: env.vars, flag: env.flag ?? 0 };
}

/** Picks the valid copy with the newer flag (copy 0 on a tie); fails naming both reasons. */
export function chooseCopy(results: readonly [CopyResult, CopyResult], source: string): SelectedCopy {
  const [a, b] = results;
  if (a instanceof VfleetError) {
    if (b instanceof VfleetError) {
      throw new VfleetError('VFLEET_ENV_INVALID', `${source}: neither redundant copy is valid (${a.message}; ${b.message})`, {
        cause: new AggregateError([a, b]),
      });
    }
    return picked(1, b);
  }
  if (b instanceof VfleetError) return picked(0, a);
  return isFlagNewerOrEqual(a.flag ?? 0, b.flag ?? 0) ? picked(0, a) : picked(1, b);
}

/** Reads a redundant pair: the CRC-valid copy with the newer flag, as U-Boot and peridiod do. */
export function selectEnvCopy(a: Uint8Array, b: Uint8Array, source = 'uboot.env'): SelectedCopy {
  return chooseCopy([tryDecodeCopy(a, `${source} copy 0`), tryDecodeCopy(b, `${source} copy 1`)], source);
}
