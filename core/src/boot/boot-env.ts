/** The bootloader's reading of the env variables it uses, with notes on values it could not use. */
export type SlotName = 'a' | 'b';

export const DEFAULT_BOOTLIMIT = 3;

export function otherSlot(slot: SlotName): SlotName {
  return slot === 'a' ? 'b' : 'a';
}

/** `peridio_active`; absent or not a/b → 'a'. */
export function activeSlotOf(env: ReadonlyMap<string, string>, notes: string[]): SlotName {
  const value = env.get('peridio_active');
  if (value === 'a' || value === 'b') return value;
  if (value !== undefined) notes.push(`peridio_active ${JSON.stringify(value)} is neither a nor b; using a`);
  return 'a';
}

function counter(env: ReadonlyMap<string, string>, key: string, fallback: number, notes: string[]): number {
  const value = env.get(key);
  if (value === undefined) return fallback;
  if (/^\d{1,9}$/.test(value)) return Number(value);
  notes.push(`${key} ${JSON.stringify(value)} is not a whole number; using ${fallback}`);
  return fallback;
}

/** `bootlimit`; 0 means no limit, as in U-Boot. */
export function bootlimitOf(env: ReadonlyMap<string, string>, notes: string[]): number {
  return counter(env, 'bootlimit', DEFAULT_BOOTLIMIT, notes);
}

export function bootcountOf(env: ReadonlyMap<string, string>, notes: string[]): number {
  return counter(env, 'bootcount', 0, notes);
}

/** A trial boot is pending while `upgrade_available` is a non-zero number (U-Boot reads it as one). */
export function isTrial(env: ReadonlyMap<string, string>, notes: string[]): boolean {
  return counter(env, 'upgrade_available', 0, notes) !== 0;
}
