// PKCS#10 certification requests (RFC 2986): building the device's, and checking one before signing it.
import { verify, createPublicKey, type KeyObject } from 'node:crypto';
import { VfleetError } from '../errors.js';
import { signedEnvelope } from './certificate-builder.js';
import { bitStringBytes, children, content, decodeOid, expectChild, readRoot, whole } from './der-read.js';
import { explicit, sequence, smallInteger } from './der-write.js';
import { OID } from './oids.js';
import { decodePem } from './pem.js';
import { peculiarX509 } from './peculiar.js';

/** CertificationRequestInfo with an empty attribute set, as `cryptography` and `openssl req` write it. */
export function buildCsr(subject: Buffer, spki: Buffer, key: KeyObject): Buffer {
  return signedEnvelope(sequence(smallInteger(0), subject, spki, explicit(0)), key);
}

export interface ParsedCsr {
  commonName: string;
  subject: Buffer;
  spki: Buffer;
  publicKeyBits: Buffer;
}

/** Parses a PEM CSR and checks its self-signature (ecdsa-with-SHA256, as every vfleet and JITP CSR uses). */
export function parseCsr(pem: string, source: string): ParsedCsr {
  const { der } = decodePem(pem, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], source);
  const top = children(der, readRoot(der, source), source);
  const info = expectChild(der, top, 0, 0x30, 'certificationRequestInfo', source);
  const alg = expectChild(der, top, 1, 0x30, 'signatureAlgorithm', source);
  const signature = bitStringBytes(der, expectChild(der, top, 2, 0x03, 'signature', source), source);
  const fields = children(der, info, source);
  const subject = whole(der, expectChild(der, fields, 1, 0x30, 'subject', source));
  const spkiNode = expectChild(der, fields, 2, 0x30, 'subjectPKInfo', source);
  const keyBits = expectChild(der, children(der, spkiNode, source), 1, 0x03, 'subjectPublicKey', source);
  const algOid = decodeOid(content(der, expectChild(der, children(der, alg, source), 0, 0x06, 'algorithm', source)));
  if (algOid !== OID.ecdsaWithSha256) {
    throw new VfleetError(
      'VFLEET_PKI_INVALID',
      `${source}: CSR signature algorithm ${algOid} is not supported (expected ecdsa-with-SHA256, ${OID.ecdsaWithSha256})`,
    );
  }
  const spki = whole(der, spkiNode);
  let valid: boolean;
  let commonName: string;
  try {
    valid = verify('sha256', whole(der, info), createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature);
    commonName = new (peculiarX509().Pkcs10CertificateRequest)(der).subjectName.getField('CN')[0] ?? '';
  } catch (cause) {
    throw new VfleetError('VFLEET_PKI_INVALID', `${source}: not a valid certification request`, { cause });
  }
  if (!valid) {
    const what = 'CSR self-signature does not verify with its own public key';
    throw new VfleetError('VFLEET_PKI_INVALID', `${source}: ${what}`);
  }
  if (commonName === '') throw new VfleetError('VFLEET_PKI_INVALID', `${source}: CSR subject has no CN`);
  return { commonName, subject, spki, publicKeyBits: bitStringBytes(der, keyBits, source) };
}
