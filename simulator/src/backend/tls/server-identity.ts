import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRootCa, createServerCertificate, VfleetError } from '@vfleet/core';
import { writeOnce } from '../../workspace/write-once.js';

export interface ServerIdentity {
  /** The CA devices trust for the device API (`device_api.certificate_path`). */
  caPath: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

function covers(cert: X509Certificate, hosts: string[], now: number): boolean {
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return false;
  return hosts.every((h) => (/^[\d.]+$|:/.test(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
}

const why = (e: unknown) => ((e as Error).message ?? String(e)).split('\n')[0];

function read(path: string, remedy: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new VfleetError('VFLEET_PKI_INVALID', `${path}: cannot be read (${why(e)}); ${remedy}`, { cause: e });
  }
}

function certificate(path: string, pem: string, remedy: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new VfleetError('VFLEET_PKI_INVALID', `${path}: is not a PEM certificate (${why(e)}); ${remedy}`, { cause: e });
  }
}

function privateKey(path: string, pem: string, remedy: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new VfleetError('VFLEET_PKI_INVALID', `${path}: is not a PEM private key (${why(e)}); ${remedy}`, { cause: e });
  }
}

/**
 * The device API's CA (made once, never replaced) and a server certificate for `hosts`, reissued
 * when it is missing or unreadable, does not match its key, lacks a host in its SANs, nears expiry or
 * was not issued by this CA. A server key that does not parse is refused rather than overwritten (it
 * may be one the user put there), as is a CA that does not parse or match its key: devices trust it.
 */
export function ensureServerIdentity(pkiDir: string, hosts: string[], organizationName: string, now = Date.now()): ServerIdentity {
  const dir = join(pkiDir, 'server');
  const caPath = join(dir, 'ca-certificate.pem');
  const caKeyPath = join(dir, 'ca-private-key.pem');
  if (!existsSync(caPath)) {
    const ca = createRootCa({ commonName: `Device API CA ${organizationName}` });
    writeOnce(caKeyPath, ca.keyPem);
    writeOnce(caPath, ca.certPem, 0o644);
  }
  const caRemedy = `put back the original, or remove ${dir} to make a new device API CA (every device then needs the new ca-certificate.pem)`;
  const ca = { certPem: read(caPath, caRemedy), keyPem: read(caKeyPath, caRemedy) };
  const caCert = certificate(caPath, ca.certPem, caRemedy);
  if (!caCert.checkPrivateKey(privateKey(caKeyPath, ca.keyPem, caRemedy))) {
    throw new VfleetError('VFLEET_PKI_INVALID', `${caKeyPath}: is not the key of ${caPath}; ${caRemedy}`);
  }
  const certPath = join(dir, 'server-certificate.pem');
  const keyPath = join(dir, 'server-private-key.pem');
  const wanted = [...new Set(['localhost', '127.0.0.1', '::1', ...hosts])];
  if (existsSync(certPath) && existsSync(keyPath)) {
    const certPem = read(certPath, `remove it to have a new one issued`);
    let cert: X509Certificate | undefined;
    try {
      cert = new X509Certificate(certPem);
    } catch {
      cert = undefined; // unreadable: reissued like a missing one
    }
    if (cert !== undefined) {
      const serverRemedy = `remove it and ${certPath} to have a new pair issued`;
      const keyPem = read(keyPath, serverRemedy);
      // a key that is not the certificate's is what a reissue cut short between the two renames leaves
      const paired = cert.checkPrivateKey(privateKey(keyPath, keyPem, serverRemedy));
      if (paired && cert.verify(caCert.publicKey) && covers(cert, wanted, now)) return { caPath, caPem: ca.certPem, certPem, keyPem };
    }
  }
  const issued = createServerCertificate({ hosts: wanted, issuer: ca });
  // key first, then certificate, each by rename, so a crash never pairs a new cert with an old key
  writeFileSync(`${keyPath}.tmp`, issued.keyPem, { mode: 0o600 });
  renameSync(`${keyPath}.tmp`, keyPath);
  writeFileSync(`${certPath}.tmp`, issued.certPem);
  renameSync(`${certPath}.tmp`, certPath);
  return { caPath, caPem: ca.certPem, ...issued };
}
