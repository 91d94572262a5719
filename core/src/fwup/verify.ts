import type { FwupArchive, FwupSignatureStatus } from './archive.js';
import { fwupError } from './fwup-error.js';
import { checkedResourceData, resourceEntryWhere, resourceOf } from './resource-check.js';

export interface FwupVerifyResult {
  signatureStatus: FwupSignatureStatus;
  /** fwup -V's success line. */
  message: string;
  /** Verified resource names in archive order. */
  resources: string[];
}

const MESSAGES: Record<FwupSignatureStatus, string> = {
  verified: 'Valid archive with a good signature',
  unverified: 'Valid archive with an unverified signature. Specify a public key to authenticate.',
  unsigned: 'Valid archive without a signature',
};

/** Checks every resource against meta.conf and that none is missing, like `fwup -V`. */
export function verifyFwupArchive(archive: FwupArchive): FwupVerifyResult {
  const seen = new Set<string>();
  for (const entry of archive.resources) {
    if (seen.has(entry.resource)) throw fwupError('archive', resourceEntryWhere(archive, entry), `Processing ${entry.resource} twice. Archive is corrupt.`);
    seen.add(entry.resource);
    checkedResourceData(archive, entry, resourceOf(archive, entry));
  }
  const missing = archive.meta.resources.filter((r) => !seen.has(r.name));
  if (missing.length > 0) throw fwupError('archive', archive.source, `Resource ${missing.map((r) => r.name).join(', ')} not found in archive`);
  return { signatureStatus: archive.signatureStatus, message: MESSAGES[archive.signatureStatus], resources: [...seen] };
}
