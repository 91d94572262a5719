// Splits a DER certificate into the byte ranges signature checks and issuing need.
import { bitStringBytes, children, content, decodeOid, expectChild, readRoot, whole } from './der-read.js';

export interface ExtensionDer {
  critical: boolean;
  /** Contents of extnValue (the DER of the extension's own structure). */
  value: Buffer;
}

export interface CertificateDer {
  tbs: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  /** The serialNumber INTEGER's content octets (a leading 0x00 kept). */
  serial: Buffer;
  issuer: Buffer;
  subject: Buffer;
  spki: Buffer;
  /** The subjectPublicKey BIT STRING contents (the key identifier input). */
  publicKeyBits: Buffer;
  extensions: Map<string, ExtensionDer>;
}

export function splitCertificate(der: Buffer, source: string): CertificateDer {
  const top = children(der, readRoot(der, source), source);
  const tbsNode = expectChild(der, top, 0, 0x30, 'tbsCertificate', source);
  const algNode = expectChild(der, top, 1, 0x30, 'signatureAlgorithm', source);
  const sigNode = expectChild(der, top, 2, 0x03, 'signatureValue', source);
  const fields = children(der, tbsNode, source);
  const skip = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = expectChild(der, fields, skip, 0x02, 'serialNumber', source);
  const issuer = expectChild(der, fields, skip + 2, 0x30, 'issuer', source);
  const subject = expectChild(der, fields, skip + 4, 0x30, 'subject', source);
  const spki = expectChild(der, fields, skip + 5, 0x30, 'subjectPublicKeyInfo', source);
  const spkiFields = children(der, spki, source);
  const keyBits = expectChild(der, spkiFields, 1, 0x03, 'subjectPublicKey', source);
  const algOid = expectChild(der, children(der, algNode, source), 0, 0x06, 'algorithm OID', source);
  const extensions = new Map<string, ExtensionDer>();
  const extsNode = fields.slice(skip + 6).find((n) => n.tag === 0xa3);
  if (extsNode) {
    const list = expectChild(der, children(der, extsNode, source), 0, 0x30, 'Extensions', source);
    for (const ext of children(der, list, source)) {
      const parts = children(der, ext, source);
      const id = expectChild(der, parts, 0, 0x06, 'extnID', source);
      const critical = parts[1]?.tag === 0x01 && content(der, parts[1])[0] !== 0;
      const value = expectChild(der, parts, parts.length - 1, 0x04, 'extnValue', source);
      extensions.set(decodeOid(content(der, id)), { critical, value: content(der, value) });
    }
  }
  return {
    tbs: whole(der, tbsNode),
    signatureAlgorithm: decodeOid(content(der, algOid)),
    signature: bitStringBytes(der, sigNode, source),
    serial: content(der, serial),
    issuer: whole(der, issuer),
    subject: whole(der, subject),
    spki: whole(der, spki),
    publicKeyBits: bitStringBytes(der, keyBits, source),
    extensions,
  };
}
