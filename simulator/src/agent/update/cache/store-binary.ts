import type { UpdateBinary } from '../model.js';
import type { CacheStore } from './cache-store.js';
import { binaryFile } from './layout.js';
import { stampBinaryCached } from './metadata.js';

/**
 * Step BinaryCache's work: the bytes go (encrypted when encryption is on) under `.tmp/` as they
 * arrive; only once `source` has verified do they become `binary/<prn>:<hash>/binary`, device-signed
 * and stamped cached.
 */
export async function storeBinary(cache: CacheStore, binary: UpdateBinary, source: AsyncIterable<Buffer>, signal: AbortSignal): Promise<void> {
  await cache.storeStream(binaryFile(binary), source, binary.hash, signal);
  await stampBinaryCached(cache, binary);
}
