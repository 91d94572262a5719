// The X.509 v3 extensions vfleet puts in certificates (RFC 5280 §4.2.1).
import { boolean, objectIdentifier, octetString, sequence, smallInteger, tlv } from './der-write.js';
import { OID } from './oids.js';

export function extension(oid: string, critical: boolean, value: Uint8Array): Buffer {
  return critical
    ? sequence(objectIdentifier(oid), boolean(true), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

/** `cA` FALSE is the DEFAULT, so DER leaves it out: CA:FALSE is an empty SEQUENCE. */
export function basicConstraints(ca: boolean, pathLength?: number): Buffer {
  const fields = ca ? [boolean(true), ...(pathLength === undefined ? [] : [smallInteger(pathLength)])] : [];
  return extension(OID.basicConstraints, true, sequence(...fields));
}

/** keyIdentifier only: [0] IMPLICIT OCTET STRING. */
export const authorityKeyIdentifier = (keyId: Uint8Array): Buffer =>
  extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyId)));

export const subjectKeyIdentifier = (keyId: Uint8Array): Buffer =>
  extension(OID.subjectKeyIdentifier, false, octetString(keyId));

/** digitalSignature is bit 0: one byte 0x80 with 7 unused bits. */
export const KEY_USAGE_DIGITAL_SIGNATURE: Buffer = extension(
  OID.keyUsage,
  true,
  tlv(0x03, Buffer.from([0x07, 0x80])),
);

export const EXT_KEY_USAGE_CLIENT_AUTH: Buffer = extension(
  OID.extKeyUsage,
  false,
  sequence(objectIdentifier(OID.clientAuth)),
);

export const BASIC_CONSTRAINTS_END_ENTITY: Buffer = basicConstraints(false);

