// At-rest cache encryption (protocol §5.8): "PDC1", version 1, 8-byte file nonce, u32 BE chunk size,
// then per 64 KiB of plaintext: u32 BE length, AES-256-GCM ciphertext, 16-byte tag.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { VfleetError } from '@vfleet/core';

export const PDC1_MAGIC = Buffer.from('PDC1', 'ascii');
const VERSION = 1;
export const PDC1_HEADER_BYTES = 17;
export const PDC1_CHUNK_BYTES = 65536;
const TAG_BYTES = 16;
const AAD = Buffer.from('peridiod-cache-v1', 'ascii');

function nonceFor(index: number, fileNonce: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(index, 0);
  fileNonce.copy(nonce, 4);
  return nonce;
}

function header(fileNonce: Buffer): Buffer {
  const head = Buffer.alloc(PDC1_HEADER_BYTES);
  PDC1_MAGIC.copy(head, 0);
  head.writeUInt8(VERSION, 4);
  fileNonce.copy(head, 5);
  head.writeUInt32BE(PDC1_CHUNK_BYTES, 13);
  return head;
}

function sealChunk(plain: Buffer, index: number, fileNonce: Buffer, dek: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', dek, nonceFor(index, fileNonce));
  cipher.setAAD(AAD);
  const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}

/** The size of `plainBytes` of plaintext once encrypted: the header, then per chunk its length, ciphertext and tag. */
export const pdc1Bytes = (plainBytes: number): number => PDC1_HEADER_BYTES + plainBytes + (4 + TAG_BYTES) * Math.ceil(plainBytes / PDC1_CHUNK_BYTES);

export function isPdc1(head: Uint8Array): boolean {
  return head.length >= 4 && PDC1_MAGIC.equals(head.subarray(0, 4));
}

/** Encrypts a stream, re-chunked to 64 KiB of plaintext per frame; memory stays at one chunk. */
export async function* encryptChunks(source: AsyncIterable<Uint8Array>, dek: Buffer, fileNonce: Buffer = randomBytes(8)): AsyncGenerator<Buffer> {
  yield header(fileNonce);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  for await (const piece of source) {
    pending.push(Buffer.from(piece)); // a copy: the source may lend its chunks (valid until the next)
    pendingBytes += piece.byteLength;
    if (pendingBytes < PDC1_CHUNK_BYTES) continue;
    const all = Buffer.concat(pending, pendingBytes);
    let at = 0;
    for (; pendingBytes - at >= PDC1_CHUNK_BYTES; at += PDC1_CHUNK_BYTES) {
      yield sealChunk(all.subarray(at, at + PDC1_CHUNK_BYTES), index++, fileNonce, dek);
    }
    pending = [all.subarray(at)];
    pendingBytes -= at;
  }
  if (pendingBytes > 0) yield sealChunk(Buffer.concat(pending, pendingBytes), index, fileNonce, dek);
}

function corrupt(where: string, offset: number, why: string): VfleetError {
  return new VfleetError('VFLEET_IO', `${where}: encrypted cache file at byte ${offset}: ${why}`);
}

/** Decrypts a PDC1 stream; any tampering, truncation or wrong key throws naming the byte offset. */
export async function* decryptChunks(source: AsyncIterable<Uint8Array>, dek: Buffer, where: string): AsyncGenerator<Buffer> {
  let buf = Buffer.alloc(0);
  let offset = 0;
  let fileNonce: Buffer | undefined;
  let index = 0;
  for await (const piece of source) {
    buf = buf.length === 0 ? Buffer.from(piece) : Buffer.concat([buf, piece]);
    if (fileNonce === undefined) {
      if (buf.length < PDC1_HEADER_BYTES) continue;
      if (!isPdc1(buf) || buf.readUInt8(4) !== VERSION) throw corrupt(where, 0, 'not a PDC1 version 1 header');
      fileNonce = Buffer.from(buf.subarray(5, 13));
      buf = buf.subarray(PDC1_HEADER_BYTES);
      offset = PDC1_HEADER_BYTES;
    }
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (len < TAG_BYTES || len > PDC1_CHUNK_BYTES + TAG_BYTES) throw corrupt(where, offset, `chunk length ${len} out of range`);
      if (buf.length < 4 + len) break;
      const decipher = createDecipheriv('aes-256-gcm', dek, nonceFor(index, fileNonce));
      decipher.setAAD(AAD);
      decipher.setAuthTag(buf.subarray(4 + len - TAG_BYTES, 4 + len));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(buf.subarray(4, 4 + len - TAG_BYTES)), decipher.final()]);
      } catch (cause) {
        throw new VfleetError('VFLEET_IO', `${where}: encrypted cache file chunk ${index} at byte ${offset}: authentication failed`, { cause });
      }
      yield plain;
      index++;
      offset += 4 + len;
      buf = buf.subarray(4 + len);
    }
  }
  if (fileNonce === undefined) throw corrupt(where, 0, `truncated header (${buf.length} of ${PDC1_HEADER_BYTES} bytes)`);
  if (buf.length > 0) throw corrupt(where, offset, `truncated chunk (${buf.length} trailing bytes)`);
}

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of gen) parts.push(part);
  return Buffer.concat(parts);
}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

/** One-shot forms for small files (manifests, stamps). */
export const encryptBuffer = (plain: Uint8Array, dek: Buffer, fileNonce?: Buffer): Promise<Buffer> =>
  collect(encryptChunks(once(plain), dek, fileNonce));
export const decryptBuffer = (data: Uint8Array, dek: Buffer, where: string): Promise<Buffer> => collect(decryptChunks(once(data), dek, where));
