import { binaryFile } from '../../cache/layout.js';
import { downloadBinary } from '../../download/download.js';
import { verifyIntegrity } from '../../download/integrity.js';
import type { UpdateBinary } from '../../model.js';
import type { PlanRun } from '../run-context.js';

/** A binary's bytes from its URL or the cache, ending in an error unless size, hash and signature verify. */
export function verifiedSource(binary: UpdateBinary, from: 'uri' | 'cache', run: PlanRun, signal: AbortSignal): AsyncIterable<Buffer> {
  const raw = from === 'uri'
    ? downloadBinary(binary, { ...run.env.download, log: run.env.log, signal })
    : run.env.cache.readStream(binaryFile(binary));
  return verifyIntegrity(binary, raw);
}
