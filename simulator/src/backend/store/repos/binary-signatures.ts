import type { Ctx } from '../context.js';
import { verifiesOverHash } from '../ed25519.js';
import { Fields } from '../fields.js';
import type { Tables } from '../tables.js';
import type { BinarySignature } from '../types.js';

export interface BinarySignatureInput {
  binary_uuid: string;
  signing_key_uuid: string;
  /** 128 hex characters (either case) of an Ed25519 signature over the lowercase hex SHA-256. */
  signature: string;
}

const SIGNATURE_HEX = /^[0-9a-fA-F]{128}$/;

export function binarySignaturesRepo(ctx: Ctx, { binarySignatures, binaries, signingKeys }: Tables) {
  const inBundle = ctx.db.prepare('SELECT bundle_uuid FROM bundle_binaries WHERE binary_uuid = ? LIMIT 1').pluck();
  return {
    /** Verifies the signature against the key and the binary's hash, then marks the binary signed. */
    create(input: BinarySignatureInput): BinarySignature {
      const f = new Fields('binary_signature', input, ['binary_uuid', 'signing_key_uuid', 'signature']);
      const binaryUuid = f.ref('binary_uuid', 'binary');
      const binary = binaries.get(binaryUuid) ?? f.fail('binary_uuid', `no binary ${JSON.stringify(binaryUuid)}`, 'reference');
      const hash = binary.state === 'uploadable' ? null : binary.hash;
      if (hash === null) return f.fail('binary_uuid', `binary ${binaryUuid} has no uploaded content to sign yet`, 'conflict');
      const keyUuid = f.ref('signing_key_uuid', 'signing_key');
      const key = signingKeys.get(keyUuid) ?? f.fail('signing_key_uuid', `no signing_key ${JSON.stringify(keyUuid)}`, 'reference');
      const signature = f.text('signature', 128);
      if (!SIGNATURE_HEX.test(signature)) f.fail('signature', 'expected 128 hex characters (a 64-byte Ed25519 signature)');
      if (!verifiesOverHash(key.public_value, hash, signature)) {
        f.fail('signature', `does not verify with signing key ${key.name} over the binary's SHA-256 ${hash}`);
      }
      if (binarySignatures.where('binary_uuid = ? AND signing_key_uuid = ?', binaryUuid, keyUuid).length > 0) {
        f.fail('signing_key_uuid', `binary ${binaryUuid} is already signed with ${key.name}`, 'conflict');
      }
      return ctx.db.transaction(() => {
        const row = binarySignatures.insert({ binary_uuid: binaryUuid, signing_key_uuid: keyUuid, signature: signature.toUpperCase() });
        binaries.update(binaryUuid, { state: 'signed' });
        return row;
      })();
    },
    get: (uuid: string): BinarySignature | undefined => binarySignatures.get(uuid),
    list: (filter: { binary_uuid?: string } = {}): BinarySignature[] =>
      filter.binary_uuid === undefined ? binarySignatures.list() : binarySignatures.where('binary_uuid = ?', filter.binary_uuid),
    /** A binary left without signatures goes back to `uploaded`. */
    delete(uuid: string): void {
      const sig = binarySignatures.must(uuid);
      const last = binarySignatures.where('binary_uuid = ?', sig.binary_uuid).length === 1;
      const bundle = last ? inBundle.get(sig.binary_uuid) : undefined;
      if (typeof bundle === 'string') {
        new Fields('binary_signature', {}, []).fail('uuid', `it is the only signature of binary ${sig.binary_uuid}, which bundle ${bundle} uses`, 'conflict');
      }
      ctx.db.transaction(() => {
        binarySignatures.remove(uuid, 'nothing');
        if (binarySignatures.where('binary_uuid = ?', sig.binary_uuid).length === 0) binaries.update(sig.binary_uuid, { state: 'uploaded' });
      })();
    },
  };
}

export type BinarySignaturesRepo = ReturnType<typeof binarySignaturesRepo>;
