import { describe, it, expect } from 'vitest';
import type { BootHeaderMeta } from './boot-meta.js';
import { bootDevice, type BootInput, type BootOutcome } from './boot-device.js';
import { applyEnvChanges } from './env-changes.js';
import { validateSlot } from './validate-slot.js';

const OLD: BootHeaderMeta = {
  name: 'edge-inference-os', version: '1.12.1', health: 'ok', platform: 'vfleet', architecture: 'arm64-v8', uuid: 'aaaa-1',
};
const NEW: BootHeaderMeta = { name: 'edge-inference-os', version: '1.13.0', health: 'ok', platform: 'vfleet', architecture: 'arm64-v8' };
const CRASH: BootHeaderMeta = { ...NEW, health: 'crash' };

const OLD_KEYS = {
  'a.peridio_version': '1.12.1', 'a.peridio_product': 'edge-inference-os', 'a.peridio_platform': 'vfleet',
  'a.peridio_architecture': 'arm64-v8', 'a.peridio_uuid': 'aaaa-1',
};
/** The env fwup 1.16.0 leaves after upgrade.b (shared/vectors/fwup/env-after.txt). */
const AFTER_FWUP_UPGRADE_B = {
  'a.peridio_version': '1.12.1', 'b.peridio_product': 'edge-inference-os', 'b.peridio_version': '1.13.0',
  bootcount: '0', peridio_active: 'b', upgrade_available: '1',
};

/** What rolling back from AFTER_FWUP_UPGRADE_B to slot a writes besides bootcount. */
const ROLLBACK_TO_A = {
  peridio_active: 'a', 'a.peridio_product': 'edge-inference-os', 'a.peridio_platform': 'vfleet',
  'a.peridio_architecture': 'arm64-v8', 'a.peridio_uuid': 'aaaa-1',
};

const env = (vars: Record<string, string>): Map<string, string> => new Map(Object.entries(vars));

interface Row {
  name: string;
  input: BootInput;
  slot: 'a' | 'b' | null;
  outcome: BootOutcome;
  changes: Record<string, string>;
  unset?: string[];
  reason: RegExp;
}

const rows: Row[] = [
  {
    name: 'first boot of a fresh device publishes a.* and records the active slot',
    input: { env: env({}), slots: { a: OLD, b: null } },
    slot: 'a', outcome: 'boot', changes: { peridio_active: 'a', ...OLD_KEYS },
    reason: /^booted slot a: edge-inference-os 1\.12\.1 \(health ok\)$/,
  },
  {
    name: 'a booted, published device changes nothing',
    input: { env: env({ peridio_active: 'a', ...OLD_KEYS }), slots: { a: OLD, b: NEW } },
    slot: 'a', outcome: 'boot', changes: {}, reason: /^booted slot a/,
  },
  {
    name: 'the env written by fwup upgrade.b makes a trial boot of b that counts',
    input: { env: env(AFTER_FWUP_UPGRADE_B), slots: { a: OLD, b: NEW } },
    slot: 'b', outcome: 'boot-trial', changes: { bootcount: '1', 'b.peridio_platform': 'vfleet', 'b.peridio_architecture': 'arm64-v8' },
    reason: /^trial boot 1 of 3 on slot b; booted slot b: edge-inference-os 1\.13\.0/,
  },
  {
    name: 'the last trial boot within bootlimit still boots the new slot',
    input: { env: env({ ...AFTER_FWUP_UPGRADE_B, bootcount: '2' }), slots: { a: OLD, b: NEW } },
    slot: 'b', outcome: 'boot-trial', changes: { bootcount: '3', 'b.peridio_platform': 'vfleet', 'b.peridio_architecture': 'arm64-v8' },
    reason: /trial boot 3 of 3 on slot b/,
  },
  {
    name: 'a boot past bootlimit rolls back and republishes the old slot',
    input: { env: env({ ...AFTER_FWUP_UPGRADE_B, bootcount: '3' }), slots: { a: OLD, b: CRASH } },
    slot: 'a', outcome: 'rollback', changes: { bootcount: '0', ...ROLLBACK_TO_A },
    unset: ['upgrade_available'],
    reason: /^boot 4 of trial slot b exceeds bootlimit 3; rolling back to slot a; booted slot a/,
  },
  {
    name: 'bootlimit comes from the env',
    input: { env: env({ ...AFTER_FWUP_UPGRADE_B, bootcount: '1', bootlimit: '1' }), slots: { a: OLD, b: NEW } },
    slot: 'a', outcome: 'rollback', changes: { bootcount: '0', ...ROLLBACK_TO_A }, unset: ['upgrade_available'],
    reason: /exceeds bootlimit 1/,
  },
  {
    name: 'bootlimit 0 never rolls back (as in U-Boot)',
    input: { env: env({ ...AFTER_FWUP_UPGRADE_B, bootcount: '99', bootlimit: '0' }), slots: { a: OLD, b: NEW } },
    slot: 'b', outcome: 'boot-trial', changes: { bootcount: '100', 'b.peridio_platform': 'vfleet', 'b.peridio_architecture': 'arm64-v8' },
    reason: /trial boot 100 of unlimited/,
  },
  {
    name: 'an empty selected slot falls back to the other one',
    input: { env: env({ peridio_active: 'b', ...OLD_KEYS }), slots: { a: OLD, b: null } },
    slot: 'a', outcome: 'boot', changes: { peridio_active: 'a' },
    reason: /^slot b holds no bootable image; falling back to slot a; booted slot a/,
  },
  {
    name: 'an empty trial slot rolls back at once',
    input: { env: env(AFTER_FWUP_UPGRADE_B), slots: { a: OLD, b: null } },
    slot: 'a', outcome: 'rollback', changes: ROLLBACK_TO_A, unset: ['upgrade_available'],
    reason: /slot b holds no bootable image; falling back to slot a/,
  },
  {
    name: 'a rollback to an empty slot keeps the trial slot and ends the trial',
    input: { env: env({ ...AFTER_FWUP_UPGRADE_B, bootcount: '3' }), slots: { a: null, b: CRASH } },
    slot: 'b', outcome: 'boot', changes: { bootcount: '0', 'b.peridio_platform': 'vfleet', 'b.peridio_architecture': 'arm64-v8' },
    unset: ['upgrade_available'],
    reason: /rolling back to slot a; slot a holds no bootable image; falling back to slot b; the trial of slot b ends without rollback/,
  },
  {
    name: 'both slots empty boots nothing and writes nothing',
    input: { env: env(AFTER_FWUP_UPGRADE_B), slots: { a: null, b: null } },
    slot: null, outcome: 'no-bootable-slot', changes: {}, reason: /neither slot a nor slot b holds a bootable image$/,
  },
  {
    name: 'keys the booted image does not set are removed',
    input: { env: env({ peridio_active: 'b', 'b.peridio_uuid': 'stale', 'b.peridio_platform': 'old' }), slots: { a: OLD, b: { name: 'os', version: '2', health: 'ok' } } },
    slot: 'b', outcome: 'boot', changes: { 'b.peridio_version': '2', 'b.peridio_product': 'os' },
    unset: ['b.peridio_platform', 'b.peridio_uuid'], reason: /booted slot b: os 2/,
  },
  {
    name: 'an invalid peridio_active means slot a',
    input: { env: env({ peridio_active: 'c' }), slots: { a: OLD, b: NEW } },
    slot: 'a', outcome: 'boot', changes: { peridio_active: 'a', ...OLD_KEYS }, reason: /^peridio_active "c" is neither a nor b; using a/,
  },
  ...['abc', '', '-1', '3.5', '0x3'].map((bootlimit): Row => ({
    name: `bootlimit ${JSON.stringify(bootlimit)} is treated as the default 3`,
    input: { env: env({ ...AFTER_FWUP_UPGRADE_B, bootcount: '3', bootlimit }), slots: { a: OLD, b: NEW } },
    slot: 'a', outcome: 'rollback', changes: { bootcount: '0', ...ROLLBACK_TO_A }, unset: ['upgrade_available'],
    reason: new RegExp(`^bootlimit ${JSON.stringify(bootlimit).replace('.', '\\.')} is not a whole number; using 3; boot 4 of trial slot b exceeds bootlimit 3`),
  })),
  {
    name: 'a non-numeric bootcount counts from 0',
    input: { env: env({ ...AFTER_FWUP_UPGRADE_B, bootcount: 'x' }), slots: { a: OLD, b: NEW } },
    slot: 'b', outcome: 'boot-trial', changes: { bootcount: '1', 'b.peridio_platform': 'vfleet', 'b.peridio_architecture': 'arm64-v8' },
    reason: /^bootcount "x" is not a whole number; using 0; trial boot 1 of 3/,
  },
  {
    name: 'upgrade_available=0 is not a trial',
    input: { env: env({ ...AFTER_FWUP_UPGRADE_B, upgrade_available: '0', bootcount: '7' }), slots: { a: OLD, b: NEW } },
    slot: 'b', outcome: 'boot', changes: { 'b.peridio_platform': 'vfleet', 'b.peridio_architecture': 'arm64-v8' }, reason: /^booted slot b/,
  },
];

describe('bootDevice', () => {
  it.each(rows)('$name', (row) => {
    const result = bootDevice(row.input);
    expect(result.slot).toBe(row.slot);
    expect(result.outcome).toBe(row.outcome);
    expect(Object.fromEntries(result.changes)).toEqual(row.changes);
    expect([...result.unset].sort()).toEqual(row.unset ?? []);
    expect(result.reason).toMatch(row.reason);
    expect(result.health).toBe(row.slot === null ? null : row.input.slots[row.slot]?.health);
  });

  it.each<[BootHeaderMeta['health']]>([['crash'], ['no-network']])('boots a %s image and reports its health', (health) => {
    const result = bootDevice({ env: env({ peridio_active: 'b' }), slots: { a: OLD, b: { ...NEW, health } } });
    expect([result.slot, result.outcome, result.health]).toEqual(['b', 'boot', health]);
  });

  it('a crashing update rolls back to a after bootlimit boots, keeping the old metadata', () => {
    const vars = env({ ...OLD_KEYS, peridio_autovalidate: '1', ...AFTER_FWUP_UPGRADE_B });
    const slots = { a: OLD, b: CRASH };
    const seen: string[] = [];
    for (let boot = 0; boot < 6; boot++) {
      const result = bootDevice({ env: vars, slots });
      seen.push(`${result.slot}:${result.outcome}:${result.health}`);
      applyEnvChanges(vars, result);
      // A crashing agent never reaches its first update check, so it never validates.
      if (result.health === 'ok') applyEnvChanges(vars, validateSlot(vars));
    }
    expect(seen).toEqual([
      'b:boot-trial:crash', 'b:boot-trial:crash', 'b:boot-trial:crash', 'a:rollback:ok', 'a:boot:ok', 'a:boot:ok',
    ]);
    expect(vars.get('peridio_active')).toBe('a');
    expect(vars.has('upgrade_available')).toBe(false);
    expect(vars.get('bootcount')).toBe('0');
    expect(vars.get('a.peridio_version')).toBe('1.12.1');
    expect(vars.get('a.peridio_uuid')).toBe('aaaa-1');
    expect(vars.get('b.peridio_version')).toBe('1.13.0');
  });

  it('a healthy update validated by the agent stays on b without counting further', () => {
    const vars = env({ ...OLD_KEYS, peridio_autovalidate: '1', ...AFTER_FWUP_UPGRADE_B });
    const outcomes: string[] = [];
    for (let boot = 0; boot < 5; boot++) {
      const result = bootDevice({ env: vars, slots: { a: OLD, b: NEW } });
      outcomes.push(result.outcome);
      applyEnvChanges(vars, result);
      applyEnvChanges(vars, validateSlot(vars));
    }
    expect(outcomes).toEqual(['boot-trial', 'boot', 'boot', 'boot', 'boot']);
    expect([vars.get('peridio_active'), vars.get('bootcount'), vars.get('peridio_validated')]).toEqual(['b', '0', '1']);
  });

  it('does not modify the env it is given', () => {
    const vars = env(AFTER_FWUP_UPGRADE_B);
    bootDevice({ env: vars, slots: { a: OLD, b: NEW } });
    expect(Object.fromEntries(vars)).toEqual(AFTER_FWUP_UPGRADE_B);
  });
});

describe('validateSlot', () => {
  it.each<[string, Record<string, string>, Record<string, string>, string[]]>([
    ['ends a trial with autovalidate', { peridio_autovalidate: '1', upgrade_available: '1', bootcount: '2' }, { bootcount: '0', peridio_validated: '1' }, ['upgrade_available']],
    ['only marks validated outside a trial', { peridio_autovalidate: '1', bootcount: '0' }, { peridio_validated: '1' }, []],
    ['changes nothing once validated', { peridio_autovalidate: '1', bootcount: '0', peridio_validated: '1' }, {}, []],
    ['changes nothing without autovalidate', { upgrade_available: '1', bootcount: '2' }, {}, []],
    ['changes nothing with autovalidate=0', { peridio_autovalidate: '0', upgrade_available: '1' }, {}, []],
  ])('%s', (_label, vars, changes, unset) => {
    const result = validateSlot(env(vars));
    expect(Object.fromEntries(result.changes)).toEqual(changes);
    expect(result.unset).toEqual(unset);
  });
});
