// CMS (PKCS#7) detached signature of sw-description, as swupdate verifies it (sw-description.sig).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mustTool } from '../fleet/runtimes/netutil.js';

export interface CmsSigner {
  certPath: string;
  keyPath: string;
  /** More certificates to carry in the SignedData (intermediates up to the trust anchor). */
  chainPath?: string;
}

/** DER CMS SignedData over `content` (detached, binary, signer certificate included), by `openssl cms -sign`. */
export async function cmsSign(content: Buffer | string, signer: CmsSigner, signal?: AbortSignal): Promise<Buffer> {
  const tmp = mkdtempSync(join(tmpdir(), 'vfleet-cms-'));
  try {
    const input = join(tmp, 'content');
    const output = join(tmp, 'content.sig');
    writeFileSync(input, content, { mode: 0o600 });
    await mustTool('openssl', [
      'cms', '-sign', '-binary', '-nosmimecap', '-md', 'sha256', '-outform', 'DER',
      '-in', input, '-signer', signer.certPath, '-inkey', signer.keyPath, '-out', output,
      ...(signer.chainPath === undefined ? [] : ['-certfile', signer.chainPath]),
    ], signal === undefined ? {} : { signal });
    return readFileSync(output);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
