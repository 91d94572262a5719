import { VfleetError, isHostPort, parseSize } from '@vfleet/core';

function usage(flag: string, value: string, want: string): never {
  throw new VfleetError('VFLEET_USAGE', `${flag} ${JSON.stringify(value)}: expected ${want}`);
}

/** An integer flag within [min, max]. */
export function intFlag(flag: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) usage(flag, value, `a whole number from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) usage(flag, value, `a whole number from ${min} to ${max}`);
    return n;
  };
}

/** One of a fixed set of words. */
export function choiceFlag<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) usage(flag, value, `one of ${choices.join(', ')}`);
    return value as T;
  };
}

/** `a,b,c` → ['a','b','c'], empty items dropped. */
export function listFlag(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** `256M`, `1G`, `0` → bytes. */
export function sizeFlag(flag: string) {
  return (value: string): number => parseSize(value, flag);
}

/** `host` or `host:port`, no scheme (peridio.json `device_api.url`). */
export function hostPortFlag(flag: string) {
  return (value: string): string => {
    if (!isHostPort(value)) usage(flag, value, 'host or host:port without a scheme');
    return value;
  };
}
