import { customMetadataHash as metadataHash, parsePrn, truncatePrn } from '@vfleet/core';
import type { UpdateBinary } from '../model.js';
import { at, bodyError, describeValue, isObject, object, optionalString, required, string } from './fields.js';
import { parseSignature } from './parse-signature.js';

/** Larger than any device a simulator models; anything above is refused as absurd. */
export const MAX_BINARY_SIZE = 64 * 1024 ** 3;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
// PRNs become cache directory names (protocol §5.8), so only characters that cannot form a path.
const SAFE_PRN = /^[A-Za-z0-9:_.-]+$/;

function parseSize(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_BINARY_SIZE) {
    throw bodyError(path, `expected a byte count from 0 to ${MAX_BINARY_SIZE} (64 GiB), found ${describeValue(value)}`);
  }
  return value;
}

function parseUrl(value: unknown, path: string): string {
  const text = string(value, path);
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw bodyError(path, `not a valid URL: ${describeValue(text)}`, cause);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw bodyError(path, `expected an http or https URL, found scheme ${describeValue(url.protocol.slice(0, -1))}`);
  }
  return text;
}

function parseSignatures(value: unknown, path: string): UpdateBinary['signatures'] {
  if (value === undefined || value === null) throw bodyError(path, 'missing: peridiod verifies exactly one signature per binary');
  if (!Array.isArray(value)) throw bodyError(path, `expected an array, found ${describeValue(value)}`);
  // peridiod matches `[signature] = signatures`; any other count crashes its install step.
  if (value.length !== 1) throw bodyError(path, `expected exactly one signature, found ${value.length}`);
  return value.map((s, i) => parseSignature(s, `${path}[${i}]`));
}

/** One `manifest[]` item; the keys peridiod requires must be present (protocol §4.4). */
export function parseBinary(value: unknown, index: number): UpdateBinary {
  const path = `$.manifest[${index}]`;
  const o = object(value, path);
  const prn = string(required(o, 'binary_prn', path), `${path}.binary_prn`);
  const { uuid } = at(`${path}.binary_prn`, (where) => parsePrn(truncatePrn(prn), where, 'binary'));
  if (!SAFE_PRN.test(prn)) throw bodyError(`${path}.binary_prn`, `contains characters other than letters, digits, ":", "_", ".", "-": ${describeValue(prn)}`);
  const hash = string(required(o, 'hash', path), `${path}.hash`);
  if (!SHA256_HEX.test(hash)) throw bodyError(`${path}.hash`, `expected 64 hex characters (SHA-256), found ${describeValue(hash)}`);
  const url = parseUrl(required(o, 'url', path), `${path}.url`);
  const target = optionalString(required(o, 'target', path), `${path}.target`);
  const size = parseSize(required(o, 'size', path), `${path}.size`);
  const rawMeta = o['custom_metadata'] ?? {};
  const customMetadata = object(rawMeta, `${path}.custom_metadata`);
  const customMetadataHash = at(`${path}.custom_metadata`, (where) => metadataHash(customMetadata, where));
  const signatures = parseSignatures(o['signatures'], `${path}.signatures`);
  const artifact = isObject(o['artifact']) ? o['artifact'] : {};
  const artifactVersion = isObject(o['artifact_version']) ? o['artifact_version'] : {};
  return {
    index,
    prn,
    uuid: uuid.toLowerCase(),
    name: optionalString(artifact['name'], `${path}.artifact.name`),
    version: optionalString(artifactVersion['version'], `${path}.artifact_version.version`),
    hash: hash.toLowerCase(),
    size,
    url,
    target,
    customMetadata,
    customMetadataHash,
    signatures,
  };
}
