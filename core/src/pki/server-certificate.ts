// TLS server certificates for the embedded device API: SANs for every host name or address it answers on.
import { VfleetError } from '../errors.js';
import { buildCertificate } from './certificate-builder.js';
import { objectIdentifier, sequence, tlv } from './der-write.js';
import {
  authorityKeyIdentifier,
  BASIC_CONSTRAINTS_END_ENTITY,
  extension,
  KEY_USAGE_DIGITAL_SIGNATURE,
  subjectKeyIdentifier,
} from './extensions.js';
import { loadIssuer, type IssuerPems } from './issuer.js';
import { generateP256KeyPair, keyIdentifier, p256Spki } from './keys.js';
import { commonNameDer } from './name.js';
import { OID } from './oids.js';
import { encodePem } from './pem.js';
import { backdatedValidity } from './validity.js';

export interface ServerCertificateOptions {
  /** DNS names and IPv4/IPv6 addresses; the first is also the subject CN. */
  hosts: string[];
  issuer: IssuerPems;
  days?: number;
  now?: Date;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^(?=.*:)[0-9A-Fa-f:]{2,39}$/;

/** 4 for IPv4, 6 for IPv6 (no zone, no embedded IPv4), 0 otherwise; core keeps off node:net. */
function isIP(text: string): 0 | 4 | 6 {
  if (IPV4.test(text)) return 4;
  if (IPV6.test(text) && (text.match(/::/g) ?? []).length <= 1) return 6;
  return 0;
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const left = part(head);
  const right = ip.includes('::') ? part(tail) : [];
  const groups = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** GeneralNames: dNSName is [2] IA5String, iPAddress is [7] OCTET STRING. */
function subjectAltName(hosts: string[]): Buffer {
  const names = hosts.map((h) => (isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h, 'ascii'))));
  return extension(OID.subjectAltName, false, sequence(...names));
}

const EXT_KEY_USAGE_SERVER_AUTH = extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth)));

export function createServerCertificate(options: ServerCertificateOptions): { certPem: string; keyPem: string } {
  const hosts = options.hosts;
  const bad = hosts.find((h) => !isIP(h) && !/^[A-Za-z0-9*]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(h));
  if (hosts.length === 0 || bad !== undefined) {
    throw new VfleetError('VFLEET_PKI_INVALID', `server certificate hosts: ${bad === undefined ? 'none given' : `${JSON.stringify(bad)} is not a host name or IP address`}`);
  }
  const issuer = loadIssuer(options.issuer, 'server certificate issuer');
  const pair = generateP256KeyPair();
  const cert = buildCertificate(
    {
      ...backdatedValidity(options.now ?? new Date(), options.days ?? 825),
      issuer: issuer.name,
      subject: commonNameDer(hosts[0] as string, 'server host'),
      spki: p256Spki(pair.point),
      extensions: [
        BASIC_CONSTRAINTS_END_ENTITY,
        KEY_USAGE_DIGITAL_SIGNATURE,
        EXT_KEY_USAGE_SERVER_AUTH,
        subjectAltName(hosts),
        authorityKeyIdentifier(issuer.keyId),
        subjectKeyIdentifier(keyIdentifier(pair.point)),
      ],
    },
    issuer.key,
  );
  return { certPem: encodePem('CERTIFICATE', cert), keyPem: encodePem('EC PRIVATE KEY', pair.sec1) };
}
