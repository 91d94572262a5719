// The `vfleet-agent` entry's log sink (main.ts).
import { writeSync } from 'node:fs';

/**
 * Writes each line to `fd` with write(2): node's process.stdout stream costs ~2 ms of CPU to set up
 * at the first line (a process per device pays it at every start), and on Linux it writes to a pipe
 * or a file synchronously as well. Any error (EAGAIN on a non-blocking descriptor, EPIPE, EBADF)
 * hands the rest of that line and every later one to the stream `fallback` returns (process.stdout,
 * only then set up), which deals with it as it always did.
 */
export function fdLines(fd = 1, fallback: () => { write(bytes: Uint8Array): unknown } = () => process.stdout): (line: string) => void {
  let direct = true;
  return (line) => {
    const bytes = Buffer.from(line + '\n');
    let done = 0;
    if (direct) {
      try {
        while (done < bytes.length) done += writeSync(fd, bytes, done);
        return;
      } catch {
        direct = false;
      }
    }
    fallback().write(bytes.subarray(done));
  };
}
