import { describe, expect, it } from 'vitest';
import { binRecord, customMetadataHash } from '@vfleet/core';
import type { UpdateBinary } from '../model.js';
import { selectBinaries } from './select-binaries.js';

const KEY_A = Buffer.alloc(32, 1);
const KEY_B = Buffer.alloc(32, 2);
let n = 0;
function binary(target: string | null, key = KEY_A, meta: Record<string, unknown> = { v: 1 }): UpdateBinary {
  n++;
  const uuid = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    index: n, prn: `prn:1:00000000-0000-4000-8000-000000000000:binary:${uuid}`, uuid, name: null, version: null, hash: '0'.repeat(64),
    size: 1, url: 'http://h/x', target, customMetadata: meta, customMetadataHash: customMetadataHash(meta),
    signatures: [{ signatureHex: '0'.repeat(128), publicKey: key, signingKeyPrn: null }],
  };
}

describe('selectBinaries', () => {
  it('keeps wanted targets plus null and "" targets; [] keeps all', () => {
    const bins = [binary('arm64'), binary('x86'), binary(null), binary('')];
    const some = selectBinaries({ binaries: bins, targets: ['arm64'], binCurrent: '', trustedKeys: [KEY_A], threshold: 1 });
    expect(some.trusted && some.toInstall.map((b) => b.target)).toEqual(['arm64', null, '']);
    const all = selectBinaries({ binaries: bins, targets: [], binCurrent: '', trustedKeys: [KEY_A], threshold: 1 });
    expect(all.trusted && all.toInstall).toHaveLength(4);
  });

  it('splits already-installed binaries by UUID and custom_metadata hash', () => {
    const same = binary('t');
    const changed = binary('t', KEY_A, { v: 2 });
    const current = binRecord(same.uuid, same.customMetadata) + binRecord(changed.uuid, { v: 1 });
    const s = selectBinaries({ binaries: [same, changed], targets: ['t'], binCurrent: current, trustedKeys: [KEY_A], threshold: 1 });
    expect(s.trusted && s.installed).toEqual([same]);
    expect(s.trusted && s.toInstall).toEqual([changed]);
    expect(s.notes).toEqual([]);
  });

  it('logs the two "No binaries to install" reasons', () => {
    const b = binary('t');
    expect(selectBinaries({ binaries: [b], targets: ['a', 'b'], binCurrent: '', trustedKeys: [], threshold: 1 }).notes)
      .toEqual(['[Bundle Server] No binaries to install because there are no binaries for supported targets ["a", "b"]']);
    expect(selectBinaries({ binaries: [b], targets: ['t'], binCurrent: binRecord(b.uuid, b.customMetadata), trustedKeys: [], threshold: 1 }).notes)
      .toEqual(['[Bundle Server] No binaries to install because binaries already reported installed']);
  });

  it('refuses the bundle when any binary to install has fewer trusted signatures than the threshold', () => {
    const ok = binary('t', KEY_A);
    const stranger = binary('t', KEY_B);
    expect(selectBinaries({ binaries: [ok, stranger], targets: ['t'], binCurrent: '', trustedKeys: [KEY_A], threshold: 1 }).trusted).toBe(false);
    expect(selectBinaries({ binaries: [ok], targets: ['t'], binCurrent: '', trustedKeys: [KEY_A], threshold: 2 }).trusted).toBe(false);
    expect(selectBinaries({ binaries: [ok], targets: ['t'], binCurrent: '', trustedKeys: [], threshold: 1 }).trusted).toBe(false);
    const installedStranger = selectBinaries({ binaries: [stranger], targets: ['t'], binCurrent: binRecord(stranger.uuid, stranger.customMetadata), trustedKeys: [], threshold: 1 });
    expect(installedStranger.trusted).toBe(true);
  });
});
