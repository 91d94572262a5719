import { describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import {
  addBinRecord, binaryId, binRecord, customMetadataHash, encodeBinRecords, hasBinRecord, parseBinRecords,
} from './index.js';

const ORG = '92d0a3ed-9058-4632-ae29-f420078c4507';
const FIXTURE_META = {
  peridiod: { installer: 'file', installer_opts: { name: '1M.bin', path: 'test/workspace' }, reboot_required: false },
};
const FIXTURE_RECORD =
  'efb1bf04affd4256b959d8d8fa2f9d781c42893e8933ec2e6e268547360a6ea24033f3af2be3ae7bf9120ccd33956447';
const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);

function stateError(fn: () => unknown): VfleetError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VfleetError) return e;
    throw e;
  }
  throw new Error('expected a VfleetError');
}

describe('protocol §3.6 worked example', () => {
  it('reproduces the hash and the 96-char record exactly', () => {
    expect(customMetadataHash(FIXTURE_META)).toBe('1c42893e8933ec2e6e268547360a6ea24033f3af2be3ae7bf9120ccd33956447');
    expect(binRecord(`prn:1:${ORG}:binary:efb1bf04-affd-4256-b959-d8d8fa2f9d78`, FIXTURE_META)).toBe(FIXTURE_RECORD);
    expect(binRecord('EFB1BF04-AFFD-4256-B959-D8D8FA2F9D78', FIXTURE_META)).toBe(FIXTURE_RECORD);
  });

  it('matches the EVK (Python json.dumps sort_keys, compact) hashes of its artifact metadata', () => {
    // Values computed with the EVK's own method: sha256(json.dumps(sorted, separators=(",", ":"))).
    const os = { peridiod: { installer: 'fwup', installer_opts: { cache_enabled: false }, reboot_required: true } };
    const service = {
      peridiod: {
        installer: 'file',
        installer_opts: { path: '/opt/edge-inference', name: 'edge-inference-service.img', reboot_required: false },
      },
    };
    expect(customMetadataHash(os)).toBe('6b9087bc2426f1e3094f2639cf7fc618910b3d545545e5750b60372b2116b4c8');
    expect(customMetadataHash(service)).toBe('07fd957551b69fbfdca0b34e94e7d499684c33db5183e37b84227099c044b010');
  });
});

describe('binaryId', () => {
  it('accepts binary PRNs with extra fields and rejects other types', () => {
    expect(binaryId(`prn:1:${ORG}:binary:${A}:x`)).toBe('aaaaaaaa000040008000000000000001');
    expect(() => binaryId(`prn:1:${ORG}:release:${A}`)).toThrow(/type is "release", expected "binary"/);
  });
});

describe('parseBinRecords / encodeBinRecords', () => {
  it('splits 96-char records in order and joins them back', () => {
    const str = binRecord(B, {}) + FIXTURE_RECORD;
    const records = parseBinRecords(str);
    expect(records).toEqual([
      { id: 'bbbbbbbb000040008000000000000002', metaHash: customMetadataHash({}) },
      { id: 'efb1bf04affd4256b959d8d8fa2f9d78', metaHash: FIXTURE_RECORD.slice(32) },
    ]);
    expect(encodeBinRecords(records)).toBe(str);
    expect(parseBinRecords('')).toEqual([]);
  });

  it('rejects a length that is not a multiple of 96, naming the offset', () => {
    const err = stateError(() => parseBinRecords(FIXTURE_RECORD + 'abc', 'peridio_bin_current'));
    expect(err.code).toBe('VFLEET_STATE_INVALID');
    expect(err.message).toBe('peridio_bin_current: length 99 is not a multiple of 96: 3 stray characters at offset 96 ' +
      '(expected 96-char records of lowercase hex)');
  });

  it('rejects non-hex (and uppercase) characters with offset and record number', () => {
    const bad = FIXTURE_RECORD + FIXTURE_RECORD.slice(0, 40) + 'G' + FIXTURE_RECORD.slice(41);
    expect(stateError(() => parseBinRecords(bad, 'kv')).message)
      .toBe('kv: character "G" at offset 136 (record 1) is not lowercase hex');
    expect(stateError(() => parseBinRecords(FIXTURE_RECORD.toUpperCase(), 'kv')).message).toBe('kv: character "E" at offset 0 (record 0) is not lowercase hex');
  });
});

describe('addBinRecord / hasBinRecord', () => {
  it('replaces a record with the same id and keeps records sorted by id like peridiod', () => {
    let str = addBinRecord('', binaryId(B) + H1);
    str = addBinRecord(str, { id: binaryId(A), metaHash: H1 });
    str = addBinRecord(str, binaryId(B) + H2);
    expect(str).toBe(binaryId(A) + H1 + binaryId(B) + H2);
  });

  it('drops duplicate ids already present, last one wins', () => {
    const dup = binaryId(A) + H1 + binaryId(A) + H2;
    expect(addBinRecord(dup, binaryId(B) + H1)).toBe(binaryId(A) + H2 + binaryId(B) + H1);
  });

  it('rejects a malformed record to add', () => {
    expect(stateError(() => addBinRecord('', 'abc')).message).toMatch(/added record.*length 3/);
  });

  it('needs both the id and the custom_metadata hash to match', () => {
    const str = addBinRecord('', binaryId(A) + H1);
    expect(hasBinRecord(str, A, H1)).toBe(true);
    expect(hasBinRecord(str, `prn:1:${ORG}:binary:${A}`, H1.toUpperCase())).toBe(true);
    expect(hasBinRecord(str, A, H2)).toBe(false);
    expect(hasBinRecord(str, B, H1)).toBe(false);
    expect(() => hasBinRecord(str, A, 'xyz')).toThrow(/not 64 hex chars/);
  });
});
