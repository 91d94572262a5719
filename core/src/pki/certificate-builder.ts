// Assembles and signs an X.509 v3 certificate (RFC 5280 §4.1) with ECDSA P-256 / SHA-256.
import { randomFillSync, sign, type KeyObject } from 'node:crypto';
import { bitString, explicit, objectIdentifier, sequence, smallInteger, time, unsignedInteger } from './der-write.js';
import { OID } from './oids.js';
import type { Validity } from './validity.js';

export const ECDSA_WITH_SHA256: Buffer = sequence(objectIdentifier(OID.ecdsaWithSha256));
const VERSION_3 = explicit(0, smallInteger(2));

export interface CertificateFields extends Validity {
  /** Issuer Name DER, copied from the issuer's subject so chain building matches byte for byte. */
  issuer: Buffer;
  subject: Buffer;
  spki: Buffer;
  extensions: readonly Buffer[];
}

/** 16 random bytes, positive and without a leading zero octet so the INTEGER stays 16 bytes long. */
const serialPool = Buffer.alloc(16 * 256);
let poolOffset = serialPool.length;

export function randomSerial(): Buffer {
  // Refilling one pool costs about what a single randomBytes(16) call does.
  if (poolOffset === serialPool.length) {
    randomFillSync(serialPool);
    poolOffset = 0;
  }
  const serial = Buffer.from(serialPool.subarray(poolOffset, (poolOffset += 16)));
  serial[0] = ((serial[0] as number) & 0x7f) | 0x40;
  return serial;
}

/** Signs `toBeSigned` and wraps it as Certificate or CertificationRequest: SEQUENCE { data, alg, BIT STRING }. */
export function signedEnvelope(toBeSigned: Buffer, signer: KeyObject): Buffer {
  // crypto.sign yields the DER ECDSA-Sig-Value that X.509 expects.
  return sequence(toBeSigned, ECDSA_WITH_SHA256, bitString(sign('sha256', toBeSigned, signer)));
}

export function buildCertificate(fields: CertificateFields, signer: KeyObject): Buffer {
  const tbs = sequence(
    VERSION_3,
    unsignedInteger(randomSerial()),
    ECDSA_WITH_SHA256,
    fields.issuer,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.spki,
    explicit(3, sequence(...fields.extensions)),
  );
  return signedEnvelope(tbs, signer);
}
