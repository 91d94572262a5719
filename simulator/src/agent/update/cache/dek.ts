import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sha256Hex } from '@vfleet/core';
import type { AgentLogger } from '../../types.js';
import type { DeviceSigner } from './device-signature.js';
import { MAX_SIG_BYTES, readEntry, writeFileAtomic } from './files.js';

const DEK_BYTES = 32;

export interface DekResult {
  dek: Buffer;
  /** True when an existing DEK no longer verified and was replaced (its files must go). */
  replaced: boolean;
}

/** Loads `.dek` if `.dek.sig` verifies under the device key, else makes and signs a new one. */
export async function loadOrCreateDek(root: string, signer: DeviceSigner, log: AgentLogger): Promise<DekResult> {
  const [dek, sig] = await Promise.all([readEntry(root, '.dek', log, DEK_BYTES), readEntry(root, '.dek.sig', log, MAX_SIG_BYTES)]);
  if (Buffer.isBuffer(dek) && Buffer.isBuffer(sig) && dek.length === DEK_BYTES && signer.verify(sha256Hex(dek), sig.toString('ascii'))) {
    return { dek, replaced: false };
  }
  const replaced = dek !== 'missing' || sig !== 'missing';
  if (replaced) log.error('[Cache.Encryption] DEK signature verification failed — possible tampering');
  const fresh = randomBytes(DEK_BYTES);
  await writeFileAtomic(join(root, '.dek'), fresh, 0o600);
  await writeFileAtomic(join(root, '.dek.sig'), signer.sign(sha256Hex(fresh)), 0o600);
  return { dek: fresh, replaced };
}
