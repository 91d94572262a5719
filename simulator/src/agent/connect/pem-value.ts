// How peridiod reads identity values from env vars and KV keys (Peridiod.Utils).

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (no line breaks, padding required) decodes to its bytes; anything else is used raw. */
export function tryBase64Decode(value: string): string {
  return STRICT_BASE64.test(value) ? Buffer.from(value, 'base64').toString('utf8') : value;
}

/** Drops anything before the first `-----BEGIN CERTIFICATE-----` (pem_certificate_trim). */
export function trimCertificatePreamble(pem: string): string {
  const at = pem.indexOf('-----BEGIN CERTIFICATE-----');
  return at > 0 ? pem.slice(at) : pem;
}
