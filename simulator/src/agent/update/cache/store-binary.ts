import { rm } from 'node:fs/promises';
import { writeStaged } from '../installers/write-staged.js';
import type { UpdateBinary } from '../model.js';
import type { CacheStore } from './cache-store.js';
import { binaryFile } from './layout.js';
import { stampBinaryCached } from './metadata.js';

/**
 * Step BinaryCache's work: plaintext under `.tmp/` first, then (only once `source` has verified)
 * encrypted into `binary/<prn>:<hash>/binary`, device-signed and stamped cached.
 */
export async function storeBinary(cache: CacheStore, binary: UpdateBinary, source: AsyncIterable<Buffer>, signal: AbortSignal): Promise<void> {
  const temp = cache.tempPath();
  try {
    await writeStaged(source, temp, 0o600, signal);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await cache.importFile(binaryFile(binary), temp, binary.hash);
  await stampBinaryCached(cache, binary);
}
