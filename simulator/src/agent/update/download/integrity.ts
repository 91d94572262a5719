import { createHash } from 'node:crypto';
import { verifyBinarySignature, VfleetError } from '@vfleet/core';
import type { UpdateBinary } from '../model.js';

export type IntegrityFailure = 'size_mismatch' | 'checksum_mismatch' | 'invalid_signature';

/** An integrity failure; the message starts with peridiod's reason atom. */
export class IntegrityError extends VfleetError {
  constructor(readonly reason: IntegrityFailure, detail: string) {
    super(reason === 'invalid_signature' ? 'VFLEET_SIGNATURE_INVALID' : 'VFLEET_IO', `${reason}: ${detail}`);
  }
}

/**
 * Passes bytes through while keeping a running SHA-256 and size; fails as soon as the size is
 * exceeded, and at the end unless size, hash and the Ed25519 signature all match (protocol §5.4–5.5).
 */
export async function* verifyIntegrity(binary: UpdateBinary, source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > binary.size) throw new IntegrityError('size_mismatch', `binary ${binary.prn}: more than the announced ${binary.size} bytes`);
    hash.update(chunk);
    yield chunk;
  }
  if (size !== binary.size) throw new IntegrityError('size_mismatch', `binary ${binary.prn}: got ${size} bytes, expected ${binary.size}`);
  const digest = hash.digest();
  if (digest.toString('hex') !== binary.hash) {
    throw new IntegrityError('checksum_mismatch', `binary ${binary.prn}: SHA-256 ${digest.toString('hex')}, expected ${binary.hash}`);
  }
  const [signature] = binary.signatures;
  if (signature === undefined || !verifyBinarySignature(digest, signature.signatureHex, signature.publicKey)) {
    throw new IntegrityError('invalid_signature', `binary ${binary.prn}: the Ed25519 signature does not verify against its hash`);
  }
}
