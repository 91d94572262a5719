import { Readable } from 'node:stream';
import { VfleetError } from '../errors.js';
import { BOOT_HEADER_SIZE, encodeBootHeader } from './boot-header.js';
import type { BootHeaderMeta } from './boot-meta.js';
import { fillerCipher, fillerKey } from './filler.js';

const CHUNK = 1024 * 1024;
/** osImageBytes refuses more than this; larger images are streamed. */
export const MAX_IN_MEMORY_IMAGE = 64 * 1024 * 1024;

export interface ImageRange {
  offset: number;
  length: number;
}

/** An OS image described by its metadata and size; its bytes are produced on demand. */
export interface OsImage {
  meta: BootHeaderMeta;
  size: number;
  header: Buffer;
  /** The image (or `range` of it) in chunks of at most 1 MiB. */
  stream(range?: ImageRange): Readable;
  /** `length` bytes from `offset`, in memory. */
  read(offset: number, length: number): Buffer;
}

function checkRange(range: ImageRange, size: number): void {
  const { offset, length } = range;
  const whole = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
  if (!whole(offset) || !whole(length) || offset + length > size) {
    throw new VfleetError('VFLEET_USAGE', `OS image range: offset ${offset}, length ${length} is not within the image's ${size} bytes`);
  }
}

/** Boot header + deterministic filler (see filler.ts) up to `size` bytes. */
export function createOsImage(options: { meta: BootHeaderMeta; size: number }): OsImage {
  const { meta, size } = options;
  if (!Number.isSafeInteger(size) || size < BOOT_HEADER_SIZE) {
    throw new VfleetError('VFLEET_USAGE', `OS image size: ${size} bytes is not accepted; expected a whole number of at least ${BOOT_HEADER_SIZE} (the boot header)`);
  }
  const header = encodeBootHeader(meta);
  const key = fillerKey(header);
  const zeros = Buffer.alloc(CHUNK);

  function* chunks(offset: number, end: number): Generator<Buffer> {
    if (offset < BOOT_HEADER_SIZE) {
      yield Buffer.from(header.subarray(offset, Math.min(end, BOOT_HEADER_SIZE)));
      offset = BOOT_HEADER_SIZE;
    }
    if (offset >= end) return;
    const cipher = fillerCipher(key, offset - BOOT_HEADER_SIZE);
    for (; offset < end; offset += CHUNK) {
      const n = Math.min(CHUNK, end - offset);
      yield cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n));
    }
  }

  return {
    meta,
    size,
    header,
    stream(range = { offset: 0, length: size }) {
      checkRange(range, size);
      return Readable.from(chunks(range.offset, range.offset + range.length), { objectMode: false });
    },
    read(offset, length) {
      checkRange({ offset, length }, size);
      return Buffer.concat([...chunks(offset, offset + length)], length);
    },
  };
}

/** The whole image as a stream with flat memory use, whatever its size. */
export function osImageStream(meta: BootHeaderMeta, size: number): Readable {
  return createOsImage({ meta, size }).stream();
}

/** The whole image in memory; for small images (tests, vectors), at most 64 MiB. */
export function osImageBytes(meta: BootHeaderMeta, size: number): Buffer {
  if (size > MAX_IN_MEMORY_IMAGE) {
    throw new VfleetError('VFLEET_USAGE', `OS image size: ${size} bytes is too large to hold in memory (at most ${MAX_IN_MEMORY_IMAGE}); use osImageStream`);
  }
  const image = createOsImage({ meta, size });
  return image.read(0, size);
}
