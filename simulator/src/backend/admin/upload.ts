import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { consumeBody } from './body.js';

export interface ReceivedContent {
  path: string;
  hash: string;
  size: number;
}

/**
 * Streams a request body into `<dir>/<name>` (via a `.part` file, fsync'd before the rename),
 * hashing and counting as it goes. A body over `limit` bytes or an aborted upload leaves nothing behind.
 */
export async function receiveUpload(req: IncomingMessage, dir: string, name: string, limit: number): Promise<ReceivedContent> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  const part = `${path}.part`;
  const file = await open(part, 'w', 0o600);
  const hash = createHash('sha256');
  let size: number;
  try {
    size = await consumeBody(req, limit, 'content', async (chunk) => {
      hash.update(chunk);
      await file.write(chunk);
    });
    await file.sync();
  } catch (e) {
    await file.close();
    await rm(part, { force: true });
    throw e;
  }
  await file.close();
  await rename(part, path);
  return { path, hash: hash.digest('hex'), size };
}
