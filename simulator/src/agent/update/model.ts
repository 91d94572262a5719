/** The validated `/update` offer (protocol §4.4, §5.3); built once at the boundary by parseUpdateResponse. */

export interface UpdateSignature {
  /** 128 hex characters of a 64-byte Ed25519 signature, as sent. */
  signatureHex: string;
  /** Raw 32-byte Ed25519 public key decoded from `public_value`. */
  publicKey: Buffer;
  signingKeyPrn: string | null;
}

export interface UpdateBinary {
  /** Position in the manifest, for messages (`$.manifest[i]`). */
  index: number;
  prn: string;
  /** The binary UUID (5th PRN field), lowercase with dashes. */
  uuid: string;
  name: string | null;
  version: string | null;
  /** Lowercase hex SHA-256 of the content. */
  hash: string;
  size: number;
  url: string;
  target: string | null;
  customMetadata: Record<string, unknown>;
  /** SHA-256 hex of the canonical JSON of customMetadata (the bin record's second half). */
  customMetadataHash: string;
  signatures: UpdateSignature[];
}

export type UpdateVia =
  | { kind: 'release'; prn: string; name: string | null; version: string | null; versionRequirement: string | null }
  | { kind: 'bundle_override'; prn: string };

export interface UpdateOffer {
  via: UpdateVia;
  bundlePrn: string;
  binaries: UpdateBinary[];
}

export type UpdateResponse =
  | { kind: 'no_update' }
  | { kind: 'device_quarantined' }
  | { kind: 'update'; offer: UpdateOffer }
  /** Anything peridiod routes to its "Non 200 response" branch. */
  | { kind: 'unrecognised' };
