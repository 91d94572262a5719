import type { Ctx } from '../context.js';
import { publicValueOfPrivate, rawPublicValue } from '../ed25519.js';
import { Fields } from '../fields.js';
import type { Tables } from '../tables.js';
import type { SigningKey } from '../types.js';

/** Give `public_value`, `private_key_pem` (the public half is derived), or both (they must match). */
export interface SigningKeyInput {
  name: string;
  public_value?: string;
  private_key_pem?: string;
}

export function signingKeysRepo(ctx: Ctx, { signingKeys }: Tables) {
  const privateOf = ctx.db.prepare('SELECT private_key_pem FROM signing_keys WHERE uuid = ?').pluck();
  return {
    create(input: SigningKeyInput): SigningKey {
      const f = new Fields('signing_key', input, ['name', 'public_value', 'private_key_pem']);
      const name = f.text('name', 100);
      if (signingKeys.where('name = ?', name).length > 0) f.fail('name', `a signing key named ${JSON.stringify(name)} already exists`, 'conflict');
      const privatePem = f.has('private_key_pem') ? f.text('private_key_pem', 10_000, true) : null;
      const derived = privatePem === null ? null : publicValueOfPrivate(privatePem, 'signing_key.private_key_pem');
      const given = f.has('public_value') ? rawPublicValue(f.text('public_value', 100), 'signing_key.public_value') : null;
      const publicValue = given ?? derived ?? f.fail('public_value', 'give public_value (base64 raw Ed25519 key) or private_key_pem');
      if (given !== null && derived !== null && given !== derived) {
        f.fail('public_value', `does not match the public half of private_key_pem (${derived})`);
      }
      if (signingKeys.where('public_value = ?', publicValue).length > 0) {
        f.fail('public_value', 'this public key is already registered under another name', 'conflict');
      }
      return signingKeys.insert({ name, public_value: publicValue, private_key_pem: privatePem });
    },
    get: (uuid: string): SigningKey | undefined => signingKeys.get(uuid),
    getByName: (name: string): SigningKey | undefined => signingKeys.where('name = ?', name)[0],
    list: (): SigningKey[] => signingKeys.list(),
    /** The PKCS#8 PEM when the backend holds the private half, else null. */
    privateKeyPem(uuid: string): string | null {
      signingKeys.must(uuid);
      return (privateOf.get(uuid) as string | null | undefined) ?? null;
    },
    delete: (uuid: string): void => signingKeys.remove(uuid, 'binary signatures'),
  };
}

export type SigningKeysRepo = ReturnType<typeof signingKeysRepo>;
