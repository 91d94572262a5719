// The device identity from node.key_pair_source (protocol §2): file, env or uboot-env.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { parseCertificate, VfleetError, type NodeIdentity } from '@vfleet/core';
import type { AgentLogger, DevicePaths, KvStore } from '../types.js';
import type { Env } from './config-load.js';
import { readDeviceFile, readReason } from './device-read.js';
import { identityNotConfigured, identityParseError, type IdentityField, type IdentitySource } from './identity-error.js';
import { trimCertificatePreamble, tryBase64Decode } from './pem-value.js';

/** PEM text for TLS; never logged. */
export interface IdentityPems {
  certPem: string;
  keyPem: string;
  /** The certificate's subject CN (the device id), read when the certificate was checked. */
  commonName?: string;
  /** The private key as parsed when it was checked, so nothing parses the PEM a second time. */
  privateKey?: KeyObject;
}

export interface IdentityInput {
  node: NodeIdentity;
  env: Env;
  kv: KvStore;
  paths: DevicePaths;
  log: AgentLogger;
}

/** The subject CN as Node prints it, unless escaping or a multi-valued RDN would make it differ from the DER value. */
const plainCommonName = (subject: string): string | undefined => {
  const cn = /^CN=(.*)$/m.exec(subject)?.[1];
  return cn === undefined || /[\\"+]/.test(cn) ? undefined : cn;
};

/** Returns the subject CN. Node's parser first (every agent start pays for this), core's for unusual names. */
function checkCertificate(pem: string, source: IdentitySource, path: string): string {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw identityParseError('certificate', source, path, ':not_found');
  try {
    return plainCommonName(new X509Certificate(pem).subject) ?? parseCertificate(pem, `${source} ${path}`).commonName;
  } catch (cause) {
    throw identityParseError('certificate', source, path, ':malformed', cause);
  }
}

/** One unencrypted PEM block whose body is plain base64: `EC PRIVATE KEY` (SEC1, what vfleet and the EVK write) or `PRIVATE KEY`. */
const PLAIN_KEY_PEM = /^\s*-----BEGIN (EC PRIVATE KEY|PRIVATE KEY)-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END \1-----\s*$/;

/**
 * Parses the key once. The common shapes go through DER (OpenSSL's PEM decoder costs about three
 * times as much, and every agent start pays it); anything else through Node's PEM parser.
 */
function parsePrivateKey(pem: string): KeyObject {
  const plain = PLAIN_KEY_PEM.exec(pem);
  if (plain !== null) {
    try {
      const der = Buffer.from(plain[2] ?? '', 'base64');
      return createPrivateKey({ key: der, format: 'der', type: plain[1] === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8' });
    } catch {
      // fall through: the PEM parser gives the error (or reads what the DER path would not)
    }
  }
  return createPrivateKey(pem);
}

function checkPrivateKey(pem: string, source: IdentitySource, path: string): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw identityParseError('private_key', source, path, ':not_found');
  try {
    return parsePrivateKey(pem);
  } catch (cause) {
    throw identityParseError('private_key', source, path, ':malformed', cause);
  }
}

async function readPem(field: IdentityField, devicePath: string, paths: DevicePaths): Promise<string> {
  const read = readDeviceFile(paths, devicePath);
  if (read.status === 'ok') return read.bytes.toString('utf8');
  throw identityParseError(field, 'file', devicePath, `{:file_read_error, ${readReason(read)}}`, 'error' in read ? read.error : undefined);
}

/** The typed config cannot tell `"key_pair_config": null` from null names; peridiod's clause for the former is logged. */
function unset(source: IdentitySource, log: AgentLogger, what: string): never {
  log.error(`[Config] key_pair_source ${source} requires ${what} to be passed as key_pair_options`);
  throw identityNotConfigured('certificate', source);
}

async function fromFile(node: Extract<NodeIdentity, { source: 'file' }>, input: IdentityInput): Promise<IdentityPems> {
  const { certificatePath, privateKeyPath } = node;
  if (certificatePath === null || privateKeyPath === null) {
    return unset('file', input.log, 'certificate_path and private_key_path');
  }
  const certPem = await readPem('certificate', certificatePath, input.paths);
  const commonName = checkCertificate(certPem, 'file', certificatePath);
  const keyPem = await readPem('private_key', privateKeyPath, input.paths);
  const privateKey = checkPrivateKey(keyPem, 'file', privateKeyPath);
  return { certPem, keyPem, commonName, privateKey };
}

/** env and uboot-env: the config names variables; each value is strict base64 or raw PEM. */
function fromNamed(node: Extract<NodeIdentity, { source: 'env' | 'uboot-env' }>, input: IdentityInput): IdentityPems {
  const { source, privateKey, certificate } = node;
  if (privateKey === null || certificate === null) {
    return unset(source, input.log, 'private_key and certificate');
  }
  const lookup = (name: string): string | undefined => (source === 'env' ? input.env[name] : input.kv.get(name));
  const rawKey = lookup(privateKey);
  if (rawKey === undefined) throw identityParseError('private_key', source, privateKey, ':not_found');
  const rawCert = lookup(certificate);
  if (rawCert === undefined) throw identityParseError('certificate', source, certificate, ':not_found');
  const certPem = trimCertificatePreamble(tryBase64Decode(rawCert));
  const keyPem = tryBase64Decode(rawKey);
  const commonName = checkCertificate(certPem, source, certificate);
  const key = checkPrivateKey(keyPem, source, privateKey);
  return { certPem, keyPem, commonName, privateKey: key };
}

/** Loads and parses the identity or throws peridiod's startup error (VFLEET_CONFIG_INVALID). */
export async function loadIdentity(input: IdentityInput): Promise<IdentityPems> {
  const node = input.node;
  switch (node.source) {
    case 'file':
      return fromFile(node, input);
    case 'env':
    case 'uboot-env':
      return fromNamed(node, input);
    case 'pkcs11':
      throw new VfleetError(
        'VFLEET_CONFIG_INVALID',
        `pkcs11 key_pair_source is not supported by vfleet's agent (node.key_pair_source); use "file", "env" or "uboot-env"`,
      );
  }
}
