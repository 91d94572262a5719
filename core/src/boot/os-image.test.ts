import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import { haveTools, run } from '../test-support/oracle.js';
import { decodeBootHeader, encodeBootHeader } from './boot-header.js';
import type { BootHeaderMeta } from './boot-meta.js';
import { createOsImage, osImageBytes, osImageStream } from './os-image.js';

const META: BootHeaderMeta = { name: 'edge-inference-os', version: '1.13.0', health: 'ok', architecture: 'arm64-v8' };
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

function failure(fn: () => unknown): VfleetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    return e as VfleetError;
  }
  return expect.unreachable('expected a VfleetError');
}

describe('OS images', () => {
  it('start with the boot header and have exactly the requested size', () => {
    const bytes = osImageBytes(META, 3 * MiB + 123);
    expect(bytes.length).toBe(3 * MiB + 123);
    expect(bytes.subarray(0, 4096).equals(encodeBootHeader(META))).toBe(true);
    expect(decodeBootHeader(bytes, 'image')).toEqual(META);
  });

  it('are deterministic and differ when the metadata differs', () => {
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    const first = osImageBytes(META, MiB);
    expect(sha(osImageBytes(META, MiB))).toBe(sha(first));
    const other = osImageBytes({ ...META, version: '1.13.1' }, MiB);
    expect(other.subarray(4096, 4096 + 64).equals(first.subarray(4096, 4096 + 64))).toBe(false);
    // The filler is not trivially sparse or compressible.
    expect(first.subarray(4096).filter((b) => b === 0).length).toBeLessThan(MiB / 128);
  });

  it('stream exactly the bytes osImageBytes returns, in chunks of at most 1 MiB', async () => {
    const size = 2 * MiB + 4096 + 7;
    const sizes: number[] = [];
    const streamed = await collect(
      (async function* () {
        for await (const chunk of osImageStream(META, size)) {
          sizes.push((chunk as Buffer).length);
          yield chunk as Buffer;
        }
      })(),
    );
    expect(streamed.equals(osImageBytes(META, size))).toBe(true);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MiB);
  });

  it.each([
    [0, 10],
    [4000, 200],
    [4096, 1],
    [4097, 33],
    [MiB - 5, MiB + 17],
    [2 * MiB + 4096, 0],
  ])('produce the range offset %i, length %i without the bytes before it', async (offset, length) => {
    const size = 2 * MiB + 4096 + 7;
    const whole = osImageBytes(META, size);
    const image = createOsImage({ meta: META, size });
    expect(image.read(offset, length).equals(whole.subarray(offset, offset + length))).toBe(true);
    expect((await collect(image.stream({ offset, length }))).equals(whole.subarray(offset, offset + length))).toBe(true);
  });

  it.skipIf(!haveTools('openssl'))('fill with the AES-128-CTR keystream documented in FORMAT.md (openssl as oracle)', () => {
    const image = osImageBytes(META, 4096 + 100_000);
    const key = createHash('sha256').update(encodeBootHeader(META)).digest().subarray(0, 16).toString('hex');
    // run() returns text, so the keystream comes back as hex through od.
    const keystream = Buffer.from(
      run('sh', ['-c', `head -c 100000 /dev/zero | openssl enc -aes-128-ctr -K ${key} -iv ${'0'.repeat(32)} | od -An -v -tx1 | tr -d ' \\n'`]),
      'hex',
    );
    expect(keystream.equals(image.subarray(4096))).toBe(true);
  });

  it.each<[string, () => unknown, string]>([
    ['a size smaller than the header', () => osImageBytes(META, 4095), 'OS image size: 4095 bytes is not accepted; expected a whole number of at least 4096 (the boot header)'],
    ['a fractional size', () => createOsImage({ meta: META, size: 5000.5 }), 'OS image size: 5000.5 bytes is not accepted; expected a whole number of at least 4096 (the boot header)'],
    ['osImageBytes over 64 MiB', () => osImageBytes(META, 64 * MiB + 1), 'OS image size: 67108865 bytes is too large to hold in memory (at most 67108864); use osImageStream'],
    ['a range past the end', () => createOsImage({ meta: META, size: 8192 }).read(8000, 193), "OS image range: offset 8000, length 193 is not within the image's 8192 bytes"],
  ])('rejects %s', (_label, fn, message) => {
    const error = failure(fn);
    expect(error.code).toBe('VFLEET_USAGE');
    expect(error.message).toBe(message);
  });

  it('stream 1 GiB with flat memory, and the first 4096 bytes decode', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    let total = 0;
    const head: Buffer[] = [];
    const started = performance.now();
    for await (const chunk of osImageStream(META, GiB)) {
      const buf = chunk as Buffer;
      if (total < 4096) head.push(buf);
      total += buf.length;
      if ((total & (64 * MiB - 1)) === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const seconds = (performance.now() - started) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    console.log(`1 GiB osImageStream: ${seconds.toFixed(2)} s, rss delta ${((peak - before) / MiB).toFixed(1)} MiB`);
    expect(total).toBe(GiB);
    expect(peak - before).toBeLessThan(64 * MiB);
    expect(decodeBootHeader(Buffer.concat(head).subarray(0, 4096), 'stream')).toEqual(META);
  }, 120_000);
});
