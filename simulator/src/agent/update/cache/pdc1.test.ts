import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haveTools, run } from '../../../../../core/src/test-support/oracle.js';
import { removeDir, tempDir } from '../test-support/harness.js';
import { decryptBuffer, decryptChunks, encryptBuffer, encryptChunks, PDC1_CHUNK_BYTES, PDC1_HEADER_BYTES } from './pdc1.js';

// An independent reading of protocol §5.8 with Python's cryptography package, as the oracle.
const PY = `
import sys, struct
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
mode, key, src, dst = sys.argv[1], bytes.fromhex(sys.argv[2]), open(sys.argv[3], 'rb').read(), sys.argv[4]
aead, aad = AESGCM(key), b'peridiod-cache-v1'
if mode == 'decrypt':
    assert src[:4] == b'PDC1' and src[4] == 1, 'header'
    nonce, size = src[5:13], struct.unpack('>I', src[13:17])[0]
    assert size == 65536
    out, at, i = [], 17, 0
    while at < len(src):
        n = struct.unpack('>I', src[at:at+4])[0]
        out.append(aead.decrypt(struct.pack('>I', i) + nonce, src[at+4:at+4+n], aad))
        at, i = at + 4 + n, i + 1
    open(dst, 'wb').write(b''.join(out))
else:
    nonce = bytes(range(8))
    parts = [b'PDC1', bytes([1]), nonce, struct.pack('>I', 65536)]
    for i in range(0, len(src), 65536):
        ct = aead.encrypt(struct.pack('>I', i // 65536) + nonce, src[i:i+65536], aad)
        parts += [struct.pack('>I', len(ct)), ct]
    open(dst, 'wb').write(b''.join(parts))
`;

async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** Like a download: every piece is the same buffer, overwritten after the consumer asks for the next. */
async function* lentPieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  const lent = Buffer.alloc(size);
  for (let at = 0; at < data.length; at += size) {
    const n = data.copy(lent, 0, at, at + size);
    yield lent.subarray(0, n);
    lent.fill(0xee);
  }
}

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of gen) out.push(b);
  return Buffer.concat(out);
}

describe('PDC1 cache encryption', () => {
  const dek = randomBytes(32);
  let dir: string;
  beforeEach(() => {
    dir = tempDir('pdc1');
  });
  afterEach(() => removeDir(dir));

  it.each([0, 1, PDC1_CHUNK_BYTES, PDC1_CHUNK_BYTES + 1, 3 * PDC1_CHUNK_BYTES + 17])('round-trips %i bytes; frames are 64 KiB of plaintext', async (size) => {
    const plain = randomBytes(size);
    const sealed = await collect(encryptChunks(pieces(plain, 10_000), dek));
    const chunks = Math.ceil(size / PDC1_CHUNK_BYTES);
    expect(sealed.length).toBe(PDC1_HEADER_BYTES + size + chunks * 20);
    expect(sealed.subarray(0, 5)).toEqual(Buffer.from('PDC1\x01', 'latin1'));
    expect(sealed.readUInt32BE(13)).toBe(65536);
    expect(await collect(decryptChunks(pieces(sealed, 777), dek, 'x'))).toEqual(plain);
  });

  it('keeps its own copy of lent pieces (a download reuses its buffers)', async () => {
    const plain = randomBytes(3 * PDC1_CHUNK_BYTES + 5);
    const sealed = await collect(encryptChunks(lentPieces(plain, 10_000), dek));
    // equals(), not toEqual(): a failing toEqual diffs 196 KiB byte by byte for minutes
    expect((await collect(decryptChunks(pieces(sealed, 4096), dek, 'x'))).equals(plain)).toBe(true);
  });

  it('detects tampering, truncation and a wrong key, naming the place', async () => {
    const sealed = await encryptBuffer(randomBytes(PDC1_CHUNK_BYTES + 10), dek);
    const flipped = Buffer.from(sealed);
    const at = PDC1_HEADER_BYTES + 4 + PDC1_CHUNK_BYTES + 16 + 4 + 3;
    flipped.writeUInt8(flipped.readUInt8(at) ^ 1, at);
    await expect(decryptBuffer(flipped, dek, 'f')).rejects.toThrow(`f: encrypted cache file chunk 1 at byte ${PDC1_HEADER_BYTES + 4 + PDC1_CHUNK_BYTES + 16}: authentication failed`);
    await expect(decryptBuffer(sealed.subarray(0, sealed.length - 5), dek, 'f')).rejects.toThrow('truncated chunk');
    await expect(decryptBuffer(sealed.subarray(0, 10), dek, 'f')).rejects.toThrow('truncated header (10 of 17 bytes)');
    await expect(decryptBuffer(sealed, randomBytes(32), 'f')).rejects.toThrow('chunk 0 at byte 17: authentication failed');
  });

  it.skipIf(!haveTools('python3'))('agrees with an independent implementation (Python cryptography) both ways', async () => {
    const plain = randomBytes(2 * PDC1_CHUNK_BYTES + 999);
    writeFileSync(join(dir, 'plain'), plain);
    writeFileSync(join(dir, 'ours.pdc1'), await encryptBuffer(plain, dek));
    run('python3', ['-c', PY, 'decrypt', dek.toString('hex'), join(dir, 'ours.pdc1'), join(dir, 'theirs.plain')]);
    expect(readFileSync(join(dir, 'theirs.plain'))).toEqual(plain);
    run('python3', ['-c', PY, 'encrypt', dek.toString('hex'), join(dir, 'plain'), join(dir, 'theirs.pdc1')]);
    const theirs = readFileSync(join(dir, 'theirs.pdc1'));
    expect(await decryptBuffer(theirs, dek, 'theirs')).toEqual(plain);
    expect(await encryptBuffer(plain, dek, Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]))).toEqual(theirs);
  });
});
