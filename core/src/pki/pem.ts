// PEM armour (RFC 7468): strict enough to name what is wrong with a file, lenient about line layout.
import { VfleetError, type VfleetErrorCode } from '../errors.js';

export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

export interface PemBlock {
  label: string;
  der: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Finds the first block whose label is one of `labels` (other blocks, e.g. EC PARAMETERS, are skipped). */
export function decodePem(
  text: string,
  labels: readonly string[],
  source: string,
  code: VfleetErrorCode = 'VFLEET_PKI_INVALID',
): PemBlock {
  const fail = (what: string): never => {
    throw new VfleetError(code, `${source}: ${what}`);
  };
  const expected = labels.map((l) => `-----BEGIN ${l}-----`).join(' or ');
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/g;
  const seen: string[] = [];
  for (let m = begin.exec(text); m !== null; m = begin.exec(text)) {
    const label = m[1] as string;
    if (!labels.includes(label)) {
      seen.push(label);
      continue;
    }
    const bodyStart = m.index + m[0].length;
    const endLine = `-----END ${label}-----`;
    const bodyEnd = text.indexOf(endLine, bodyStart);
    if (bodyEnd < 0) fail(`no "${endLine}" line after "${m[0]}"`);
    const body = text.slice(bodyStart, bodyEnd).replace(/\s+/g, '');
    if (!BASE64.test(body) || body.length % 4 !== 0) {
      const bad = body.search(/[^A-Za-z0-9+/=]/);
      const where =
        bad >= 0 ? `character ${JSON.stringify(body[bad])} at base64 offset ${bad}` : `length ${body.length} or padding`;
      fail(`${label} block is not valid base64 (${where})`);
    }
    if (body.length === 0) fail(`${label} block is empty`);
    return { label, der: Buffer.from(body, 'base64') };
  }
  const found = seen.length > 0 ? `found only ${seen.map((l) => `"BEGIN ${l}"`).join(', ')}` : 'no BEGIN line at all';
  return fail(`expected a PEM block "${expected}", ${found}`);
}
