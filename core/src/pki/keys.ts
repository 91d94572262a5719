// P-256 keys: generation, SEC1 output, SubjectPublicKeyInfo and key identifiers.
import { createPrivateKey, createPublicKey, generateKeyPairSync, hash, type KeyObject } from 'node:crypto';
import { VfleetError } from '../errors.js';
import { bitString, objectIdentifier, sequence } from './der-write.js';
import { bitStringBytes, children, readRoot, type DerNode } from './der-read.js';
import { OID } from './oids.js';
import { decodePem } from './pem.js';

export interface P256KeyPair {
  privateKey: KeyObject;
  /** SEC1 ECPrivateKey DER (PEM label "EC PRIVATE KEY"). */
  sec1: Buffer;
  /** Uncompressed public point, 65 bytes. */
  point: Buffer;
}

const P256_ALGORITHM = sequence(objectIdentifier(OID.ecPublicKey), objectIdentifier(OID.prime256v1));

export function generateP256KeyPair(): P256KeyPair {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // One SEC1 export carries the public point too; a separate SPKI export costs several times more.
  const sec1 = privateKey.export({ type: 'sec1', format: 'der' });
  return { privateKey, sec1, point: publicPointOfSec1(sec1) };
}

function publicPointOfSec1(sec1: Buffer): Buffer {
  const source = 'generated EC key';
  const publicKeyField = children(sec1, readRoot(sec1, source), source).find((n: DerNode) => n.tag === 0xa1);
  const bits = publicKeyField && children(sec1, publicKeyField, source)[0];
  if (!bits) throw new VfleetError('VFLEET_PKI_INVALID', `${source}: SEC1 key has no public key field`);
  return bitStringBytes(sec1, bits, source);
}

const SPKI_PREFIX = sequence(P256_ALGORITHM, bitString(Buffer.alloc(65))).subarray(0, -65);

export const p256Spki = (point: Uint8Array): Buffer => Buffer.concat([SPKI_PREFIX, point]);

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (what `cryptography` and OpenSSL use). */
export const keyIdentifier = (publicKeyBits: Uint8Array): Buffer => hash('sha1', publicKeyBits, 'buffer');

/** Loads a PEM EC private key, SEC1 ("EC PRIVATE KEY", optionally after EC PARAMETERS) or PKCS#8. */
export function loadEcPrivateKey(pem: string, source: string): KeyObject {
  const block = decodePem(pem, ['EC PRIVATE KEY', 'PRIVATE KEY'], source);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.der, format: 'der', type: block.label === 'PRIVATE KEY' ? 'pkcs8' : 'sec1' });
  } catch (cause) {
    const what = `${block.label} block is not a valid private key`;
    throw new VfleetError('VFLEET_PKI_INVALID', `${source}: ${what}`, { cause });
  }
  if (key.asymmetricKeyType !== 'ec') {
    throw new VfleetError(
      'VFLEET_PKI_INVALID',
      `${source}: expected an EC (P-256) private key, got ${key.asymmetricKeyType ?? 'unknown'}`,
    );
  }
  return key;
}

export const spkiOfPrivateKey = (key: KeyObject): Buffer =>
  createPublicKey(key).export({ type: 'spki', format: 'der' });
