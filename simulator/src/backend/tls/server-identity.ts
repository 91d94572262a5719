import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { createRootCa, createServerCertificate } from '@vfleet/core';
import { writeOnce } from '../../workspace/write-once.js';

export interface ServerIdentity {
  /** The CA devices trust for the device API (`device_api.certificate_path`). */
  caPath: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

function covers(certPem: string, hosts: string[], now: number): boolean {
  const cert = new X509Certificate(certPem);
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return false;
  return hosts.every((h) => (/^[\d.]+$|:/.test(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
}

/**
 * The device API's CA (made once, never replaced) and a server certificate for `hosts`, reissued
 * when a host is missing from its SANs or it nears expiry.
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
  const ca = { certPem: readFileSync(caPath, 'utf8'), keyPem: readFileSync(caKeyPath, 'utf8') };
  const certPath = join(dir, 'server-certificate.pem');
  const keyPath = join(dir, 'server-private-key.pem');
  const wanted = [...new Set(['localhost', '127.0.0.1', '::1', ...hosts])];
  if (existsSync(certPath) && existsSync(keyPath) && covers(readFileSync(certPath, 'utf8'), wanted, now)) {
    return { caPath, caPem: ca.certPem, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
  }
  const issued = createServerCertificate({ hosts: wanted, issuer: ca });
  // key first, then certificate, each by rename, so a crash never pairs a new cert with an old key
  writeFileSync(`${keyPath}.tmp`, issued.keyPem, { mode: 0o600 });
  renameSync(`${keyPath}.tmp`, keyPath);
  writeFileSync(`${certPath}.tmp`, issued.certPem);
  renameSync(`${certPath}.tmp`, certPath);
  return { caPath, caPem: ca.certPem, ...issued };
}
