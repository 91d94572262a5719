import { parsePrn, parseTrustedKey, truncatePrn } from '@vfleet/core';
import type { UpdateSignature } from '../model.js';
import { at, bodyError, describeValue, object, optionalString, string } from './fields.js';

const SIGNATURE_HEX = /^[0-9a-fA-F]{128}$/;

/** One `signatures[]` entry: hex Ed25519 signature and its public key (SPKI PEM or base64 raw). */
export function parseSignature(value: unknown, path: string): UpdateSignature {
  const o = object(value, path);
  const signatureHex = string(o['signature'], `${path}.signature`);
  if (!SIGNATURE_HEX.test(signatureHex)) {
    throw bodyError(`${path}.signature`, `expected 128 hex characters (a 64-byte Ed25519 signature), found ${describeValue(signatureHex)}`);
  }
  const publicValue = string(o['public_value'], `${path}.public_value`);
  const publicKey = at(`${path}.public_value`, (where) => parseTrustedKey(publicValue, where));
  const signingKeyPrn = optionalString(o['signing_key_prn'], `${path}.signing_key_prn`);
  if (signingKeyPrn !== null) at(`${path}.signing_key_prn`, (where) => parsePrn(truncatePrn(signingKeyPrn), where));
  return { signatureHex, publicKey, signingKeyPrn };
}
