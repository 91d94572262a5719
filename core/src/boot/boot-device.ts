import type { BootHealth, BootHeaderMeta } from './boot-meta.js';
import { activeSlotOf, bootcountOf, bootlimitOf, isTrial, otherSlot, type SlotName } from './boot-env.js';
import { EnvEdit, type EnvChanges } from './env-changes.js';

export type BootOutcome = 'boot' | 'boot-trial' | 'rollback' | 'no-bootable-slot';

export interface BootInput {
  env: ReadonlyMap<string, string>;
  /** Each slot's decoded boot header; null when the slot holds no bootable image. */
  slots: { a: BootHeaderMeta | null; b: BootHeaderMeta | null };
}

export interface BootResult extends EnvChanges {
  slot: SlotName | null;
  outcome: BootOutcome;
  /** The booted image's health, for the host to act on; null when nothing boots. */
  health: BootHealth | null;
  /** One line saying what happened and why. */
  reason: string;
}

const PUBLISHED = [
  ['peridio_platform', 'platform'],
  ['peridio_architecture', 'architecture'],
  ['peridio_uuid', 'uuid'],
] as const;

function endTrial(edit: EnvEdit): void {
  edit.remove('upgrade_available');
  edit.set('bootcount', '0');
}

function publish(edit: EnvEdit, slot: SlotName, meta: BootHeaderMeta): void {
  edit.set(`${slot}.peridio_version`, meta.version);
  edit.set(`${slot}.peridio_product`, meta.name);
  // A key the new image does not set must not keep describing the image it replaced.
  for (const [key, field] of PUBLISHED) {
    const value = meta[field];
    if (value === undefined) edit.remove(`${slot}.${key}`);
    else edit.set(`${slot}.${key}`, value);
  }
}

/**
 * The virtual U-Boot, run at every (re)start: picks the slot from `peridio_active`, counts trial
 * boots while `upgrade_available` is set, rolls back once `bootcount` exceeds `bootlimit`, falls
 * back to the other slot when the selected one is empty, and publishes the booted slot's header
 * into `<slot>.peridio_*`. Pure: the caller writes `changes`/`unset` to the env and starts the agent.
 */
export function bootDevice(input: BootInput): BootResult {
  const { env, slots } = input;
  const notes: string[] = [];
  const edit = new EnvEdit(env);
  const active = activeSlotOf(env, notes);
  const limit = bootlimitOf(env, notes);
  let slot = active;
  let outcome: BootOutcome = 'boot';
  if (isTrial(env, notes)) {
    const count = bootcountOf(env, notes) + 1;
    if (limit !== 0 && count > limit) {
      slot = otherSlot(active);
      outcome = 'rollback';
      notes.push(`boot ${count} of trial slot ${active} exceeds bootlimit ${limit}; rolling back to slot ${slot}`);
      endTrial(edit);
    } else {
      outcome = 'boot-trial';
      notes.push(`trial boot ${count} of ${limit === 0 ? 'unlimited' : limit} on slot ${active}`);
      edit.set('bootcount', String(count));
    }
  }
  let meta = slots[slot];
  if (meta === null) {
    const alternative = otherSlot(slot);
    const fallback = slots[alternative];
    if (fallback === null) {
      notes.push('neither slot a nor slot b holds a bootable image');
      return { changes: new Map(), unset: [], slot: null, outcome: 'no-bootable-slot', health: null, reason: notes.join('; ') };
    }
    notes.push(`slot ${slot} holds no bootable image; falling back to slot ${alternative}`);
    if (outcome === 'boot-trial') {
      outcome = 'rollback';
      endTrial(edit);
    } else if (outcome === 'rollback') {
      outcome = 'boot';
      notes.push(`the trial of slot ${alternative} ends without rollback`);
    }
    slot = alternative;
    meta = fallback;
  }
  edit.set('peridio_active', slot);
  publish(edit, slot, meta);
  notes.push(`booted slot ${slot}: ${meta.name} ${meta.version} (health ${meta.health})`);
  return { ...edit.result(), slot, outcome, health: meta.health, reason: notes.join('; ') };
}
