// Chain verification: signatures, validity periods, CA flags and path lengths, leaf first.
import { verify } from 'node:crypto';
import { VfleetError } from '../errors.js';
import { OID } from './oids.js';
import { parseCertificate, type ParsedCertificate } from './parse-certificate.js';

const HASH_OF: Record<string, string | null> = {
  [OID.ecdsaWithSha256]: 'sha256',
  [OID.ecdsaWithSha384]: 'sha384',
  [OID.ecdsaWithSha512]: 'sha512',
  [OID.sha256WithRsa]: 'sha256',
  [OID.ed25519]: null,
};

export interface VerifyChainOptions {
  /** The instant validity is checked at; default now. */
  now?: Date;
}

/**
 * `chainPems` runs from the leaf's issuer upwards; its last certificate is the trust anchor. A self-signed
 * anchor must verify itself; any other anchor (e.g. a registered intermediate) is trusted as given.
 * Returns the parsed certificates, leaf first.
 */
export function verifyChain(
  leafPem: string,
  chainPems: readonly string[],
  options: VerifyChainOptions = {},
): ParsedCertificate[] {
  if (chainPems.length === 0) {
    throw new VfleetError('VFLEET_PKI_INVALID', 'certificate chain: empty; pass at least the issuing CA certificate');
  }
  const now = options.now ?? new Date();
  const names = ['leaf certificate', ...chainPems.map((_, i) => `chain[${i}]`)];
  const certs = [leafPem, ...chainPems].map((pem, i) => parseCertificate(pem, names[i] as string));
  certs.forEach((cert, i) => checkValidity(cert, `${names[i]} (${cert.subject})`, now));
  for (let i = 1; i < certs.length; i++) {
    const child = certs[i - 1] as ParsedCertificate;
    const parent = certs[i] as ParsedCertificate;
    const where = `${names[i - 1]} (${child.subject})`;
    const parentWhere = `${names[i]} (${parent.subject})`;
    if (child.issuer !== parent.subject) {
      fail(`${where}: issuer ${child.issuer} is not the next certificate, ${parentWhere}`);
    }
    if (!parent.ca) fail(`${parentWhere}: signs ${where} but is not a CA (BasicConstraints CA:TRUE missing)`);
    if (parent.pathLength !== undefined && i - 1 > parent.pathLength) {
      fail(`${parentWhere}: path length ${parent.pathLength} allows ${parent.pathLength} CA(s) below it, found ${i - 1}`);
    }
    checkSignature(child, parent, where);
  }
  const anchor = certs[certs.length - 1] as ParsedCertificate;
  if (anchor.issuer === anchor.subject) {
    checkSignature(anchor, anchor, `${names[certs.length - 1]} (${anchor.subject})`);
  }
  return certs;
}

function checkValidity(cert: ParsedCertificate, where: string, now: Date): void {
  const at = now.toISOString();
  if (now < cert.notBefore) fail(`${where}: not valid before ${cert.notBefore.toISOString()} (checked at ${at})`);
  if (now > cert.notAfter) fail(`${where}: expired ${cert.notAfter.toISOString()} (checked at ${at})`);
}

function checkSignature(child: ParsedCertificate, signer: ParsedCertificate, where: string): void {
  const algorithm = child.raw.signatureAlgorithm;
  const hash = HASH_OF[algorithm];
  if (hash === undefined) fail(`${where}: unsupported signature algorithm ${algorithm}`);
  let valid = false;
  try {
    valid = verify(hash, child.raw.tbs, signer.publicKey, child.raw.signature);
  } catch {
    valid = false;
  }
  if (!valid) fail(`${where}: signature does not verify with the public key of ${signer.subject}`);
}

function fail(message: string): never {
  throw new VfleetError('VFLEET_PKI_INVALID', message);
}
