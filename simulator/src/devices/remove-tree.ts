// Removes a device directory whatever the device put in it. fs.rmSync recurses on the JS stack and
// names every entry by its full path, so a device that nests folders a few thousand deep makes it
// overflow the stack or fail with ENAMETOOLONG; this walk keeps its own stack and cuts such a tree
// into shallower pieces. Links are removed as links, never followed.
import { lstatSync, readdirSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Longest path walked; a folder deeper than this is moved to a spare path and removed from there. */
const MAX_PATH_BYTES = 2048;

/**
 * Removes `path` (a directory tree, a file or a link; nothing when it is missing). `spare()` names a
 * free path on the same file system, beside `path`, for a subtree too deep to remove where it is.
 */
export function removeTree(path: string, spare: () => string): void {
  const pieces = [path];
  for (let piece = pieces.pop(); piece !== undefined; piece = pieces.pop()) removePiece(piece, spare, pieces);
}

function removePiece(top: string, spare: () => string, pieces: string[]): void {
  try {
    if (!lstatSync(top).isDirectory()) return gone(() => unlinkSync(top));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  // post-order: a folder is removed once everything listed in it is
  const stack: Array<{ dir: string; listed: boolean }> = [{ dir: top, listed: false }];
  for (let at = stack.at(-1); at !== undefined; at = stack.at(-1)) {
    const here = at;
    if (here.listed) {
      stack.pop();
      gone(() => rmdirSync(here.dir));
      continue;
    }
    here.listed = true;
    let entries;
    try {
      entries = readdirSync(here.dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    for (const entry of entries) {
      const p = join(here.dir, entry.name);
      if (!entry.isDirectory()) gone(() => unlinkSync(p));
      else if (Buffer.byteLength(p) <= MAX_PATH_BYTES) stack.push({ dir: p, listed: false });
      else {
        const to = spare();
        renameSync(p, to);
        pieces.push(to);
      }
    }
  }
}

/** Runs a removal; something already gone is what was wanted. */
function gone(remove: () => void): void {
  try {
    remove();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
