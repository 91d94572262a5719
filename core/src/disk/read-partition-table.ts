import { decodeGpt } from './decode-gpt.js';
import { readAt, withRegularFile } from './disk-file.js';
import type { DecodedGpt } from './gpt-types.js';

/** Reads the GPT of a regular image file, touching only the sectors the table lives in. */
export function readPartitionTable(path: string): DecodedGpt {
  return withRegularFile(path, false, (fd, size) =>
    decodeGpt((offset, length) => readAt(fd, offset, length), size, path),
  );
}
