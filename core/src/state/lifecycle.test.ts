import { describe, it, expect } from 'vitest';
import { addBinaryProgress, advance, binaryId, binRecord, progress, progressReset } from './index.js';

const ORG = '92d0a3ed-9058-4632-ae29-f420078c4507';
const REL1 = `prn:1:${ORG}:release:11111111-1111-4111-8111-111111111111`;
const REL2 = `prn:1:${ORG}:release:22222222-2222-4222-8222-222222222222`;
const BUN1 = `prn:1:${ORG}:bundle:33333333-3333-4333-8333-333333333333`;
const BUN2 = `prn:1:${ORG}:bundle:44444444-4444-4444-8444-444444444444`;
const OVR = `prn:1:${ORG}:bundle_override:55555555-5555-4555-8555-555555555555`;
const BIN_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const BIN_B = 'bbbbbbbb-0000-4000-8000-000000000002';

const installed = new Map([
  ['peridio_via_current', REL1],
  ['peridio_bun_current', BUN1],
  ['peridio_vsn_current', '1.1.0'],
  ['peridio_bin_current', binRecord(BIN_A, {})],
  ['unrelated', 'kept'],
]);

describe('progress', () => {
  it('writes via/bun/vsn progress and resets bc, leaving bin_progress alone', () => {
    const start = new Map(installed).set('peridio_bin_progress', binRecord(BIN_B, {}));
    const { kv, written, changed } = progress(start, { viaPrn: REL2, bundlePrn: BUN2, version: '2.0.0' });
    expect(written).toEqual(['peridio_via_progress', 'peridio_bun_progress', 'peridio_vsn_progress', 'peridio_bc_progress']);
    expect(changed).toEqual(written);
    expect(kv.get('peridio_via_progress')).toBe(REL2);
    expect(kv.get('peridio_vsn_progress')).toBe('2.0.0');
    expect(kv.get('peridio_bc_progress')).toBe('0');
    expect(kv.get('peridio_bin_progress')).toBe(binRecord(BIN_B, {}));
    expect(start.has('peridio_via_progress')).toBe(false);
  });

  it('writes "" for via and version of a bundle override without a via', () => {
    const { kv } = progress(installed, { viaPrn: null, bundlePrn: BUN2, version: null });
    expect(kv.get('peridio_via_progress')).toBe('');
    expect(kv.get('peridio_vsn_progress')).toBe('');
  });

  it('rejects a version that is not SemVer', () => {
    expect(() => progress(installed, { viaPrn: OVR, bundlePrn: BUN2, version: 'v2' })).toThrow(/progress version: invalid version "v2"/);
  });

  it('reports only keys whose value changed', () => {
    const once = progress(installed, { viaPrn: REL2, bundlePrn: BUN2, version: '2.0.0' }).kv;
    const again = progress(once, { viaPrn: REL2, bundlePrn: BUN2, version: '2.0.0' });
    expect(again.changed).toEqual([]);
    expect(again.written).toHaveLength(4);
  });
});

describe('addBinaryProgress', () => {
  it('adds records to peridio_bin_progress, creating it when absent', () => {
    const one = addBinaryProgress(installed, binRecord(BIN_B, {}));
    expect(one.written).toEqual(['peridio_bin_progress']);
    expect(one.changed).toEqual(['peridio_bin_progress']);
    const two = addBinaryProgress(one.kv, binRecord(BIN_A, { v: 2 }));
    expect(two.kv.get('peridio_bin_progress')).toBe(binRecord(BIN_A, { v: 2 }) + binRecord(BIN_B, {}));
    expect(binaryId(BIN_A) < binaryId(BIN_B)).toBe(true);
  });
});

describe('advance', () => {
  it('shifts current → previous and progress → current, clears progress and bc', () => {
    let kv = progress(installed, { viaPrn: REL2, bundlePrn: BUN2, version: '2.0.0' }).kv;
    kv = addBinaryProgress(kv, binRecord(BIN_B, {})).kv;
    kv.set('peridio_bc_progress', '3');
    const result = advance(kv);
    expect(Object.fromEntries(result.kv)).toEqual({
      unrelated: 'kept',
      peridio_via_previous: REL1, peridio_bun_previous: BUN1, peridio_vsn_previous: '1.1.0',
      peridio_bin_previous: binRecord(BIN_A, {}),
      peridio_via_current: REL2, peridio_bun_current: BUN2, peridio_vsn_current: '2.0.0',
      peridio_bin_current: binRecord(BIN_B, {}),
      peridio_via_progress: '', peridio_bun_progress: '', peridio_vsn_progress: '', peridio_bin_progress: '',
      peridio_bc_progress: '0',
    });
    expect(result.written).toHaveLength(13);
    expect(kv.get('peridio_via_current')).toBe(REL1);
  });

  it('treats absent keys as "" (an EVK env with only legacy keys)', () => {
    const evk = new Map([['peridio_rel_current', REL1], ['peridio_vsn_current', '1.1.0']]);
    const { kv, changed } = advance(evk);
    expect(kv.get('peridio_vsn_previous')).toBe('1.1.0');
    expect(kv.get('peridio_vsn_current')).toBe('');
    expect(kv.get('peridio_via_current')).toBe('');
    expect(kv.get('peridio_rel_current')).toBe(REL1);
    expect(changed).toContain('peridio_vsn_current');
    expect(changed).toContain('peridio_bin_previous');
  });
});

describe('progressReset', () => {
  it('clears every progress key including bin and leaves current untouched', () => {
    let kv = progress(installed, { viaPrn: REL2, bundlePrn: BUN2, version: '2.0.0' }).kv;
    kv = addBinaryProgress(kv, binRecord(BIN_B, {})).kv;
    const result = progressReset(kv);
    expect(result.written).toEqual([
      'peridio_via_progress', 'peridio_bun_progress', 'peridio_bin_progress', 'peridio_vsn_progress', 'peridio_bc_progress',
    ]);
    expect(result.changed).toEqual(['peridio_via_progress', 'peridio_bun_progress', 'peridio_bin_progress', 'peridio_vsn_progress']);
    for (const k of result.written.slice(0, 4)) expect(result.kv.get(k)).toBe('');
    expect(result.kv.get('peridio_via_current')).toBe(REL1);
    expect(result.kv.get('peridio_bin_current')).toBe(binRecord(BIN_A, {}));
  });
});
