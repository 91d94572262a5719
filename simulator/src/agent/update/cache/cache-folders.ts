// The cache's folders on the host. Whatever runs as the device can put a link, file or FIFO where a
// folder of the cache should be; on a mapped (process/inproc) device a link resolves on the host, so
// following it would write, chmod or delete host files outside the device directory.
import { lstat, mkdir, readlink, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileKind, VfleetError } from '@vfleet/core';
import { makeDirBelow, resolvesToItself } from '../../connect/device-paths.js';
import type { AgentLogger } from '../../types.js';

type Kind = 'directory' | 'link' | 'other' | 'missing';

async function kindOf(path: string): Promise<Kind> {
  try {
    const st = await lstat(path);
    return st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'link' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

/** What is at `path` instead of a directory, for a warning: "a symbolic link (to /x)", "a FIFO", … */
async function describe(path: string): Promise<string> {
  const st = await lstat(path).catch(() => undefined);
  if (st === undefined) return 'not a directory';
  return st.isSymbolicLink() ? `a symbolic link (to ${await readlink(path).catch(() => '?')})` : `a ${fileKind(st)}`;
}

/**
 * Makes `dir` a real directory: anything else there (a link, file, FIFO, socket) is removed, never
 * followed, and a directory made in its place. Returns what was replaced, or undefined.
 */
async function replaceWithDirectory(dir: string): Promise<string | undefined> {
  let replaced: string | undefined;
  // twice at most: something put back between the removal and the mkdir is an error, not a loop
  for (let attempt = 0; attempt < 2; attempt++) {
    const kind = await kindOf(dir);
    if (kind === 'directory') return replaced;
    if (kind !== 'missing') {
      replaced ??= await describe(dir);
      await rm(dir, { force: true });
    }
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  if ((await kindOf(dir)) === 'directory') return replaced;
  throw new VfleetError('VFLEET_IO', `${dir}: is still not a directory after it was replaced; something keeps putting it back`);
}

/**
 * The cache folder itself. On a mapped device (`deviceDir` set) the folders above it are the
 * device's and must be real directories (a link there is refused); the cache folder is the agent's,
 * so a link, file or FIFO in its place is replaced by an empty directory, with a warning naming it.
 * In a container links are the device's own and followed, as peridiod does; anything else that is
 * not a directory is replaced too (peridiod would fail at every start). Returns true when it made
 * the folder.
 */
export async function makeCacheRoot(root: string, deviceDir: string | undefined, log: AgentLogger): Promise<boolean> {
  const fail = (why: string, cause?: unknown): never => {
    throw new VfleetError('VFLEET_IO', `cache_dir ${root}: ${why}`, cause === undefined ? undefined : { cause });
  };
  try {
    if (root === deviceDir) {
      // the device directory itself, which the host chose (a link to it is fine)
      await mkdir(root, { recursive: true });
      return false;
    }
    if (deviceDir !== undefined) await makeDirBelow(deviceDir, dirname(root), `cache_dir ${root}`);
    if (deviceDir === undefined) {
      await mkdir(dirname(root), { recursive: true });
      const kind = await kindOf(root);
      if (kind === 'link') {
        const followed = await stat(root).catch(() => undefined);
        if (followed?.isDirectory() !== true) fail(`is ${await describe(root)}, which is not a directory; expected a directory or a link to one`);
        return false;
      }
    }
  } catch (error) {
    if (error instanceof VfleetError) throw error;
    fail((error as Error).message, error);
  }
  const existed = (await kindOf(root).catch(() => 'missing')) !== 'missing';
  let replaced: string | undefined;
  try {
    replaced = await replaceWithDirectory(root);
  } catch (error) {
    fail((error as Error).message, error);
  }
  if (replaced !== undefined) {
    const why = replaced.startsWith('a symbolic link') ? ', which is not followed for a device outside a container' : ', not a directory';
    log.warn(`[Cache] cache_dir ${root} was ${replaced}${why}; replaced with an empty directory`);
  }
  if (deviceDir !== undefined && (await resolvesToItself(deviceDir, root)) !== true) fail('changed into a symbolic link while it was made; refusing to use it');
  return replaced !== undefined || !existed;
}

/** Whether the cache folder is a directory that, on a mapped device, is reached through no link. */
export async function cacheRootSound(root: string, deviceDir: string | undefined): Promise<boolean> {
  if (deviceDir !== undefined) return (await resolvesToItself(deviceDir, root)) === true && (await kindOf(root)) === 'directory';
  return (await stat(root).catch(() => undefined))?.isDirectory() === true;
}

/**
 * Makes the folder `rel` of the cache (a path relative to `root`, '' for the root) and returns its
 * host path. On a mapped device each component is made one at a time; one that is a link or not a
 * directory is replaced (the cache is the agent's) with a warning naming it.
 */
export async function makeCacheDir(root: string, rel: string, deviceDir: string | undefined, log: AgentLogger): Promise<string> {
  const dir = join(root, rel);
  if (deviceDir === undefined) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }
  await requireSoundRoot(root, deviceDir);
  let at = root;
  for (const part of relative(root, dir).split(sep).filter((p) => p !== '')) {
    at = join(at, part);
    const replaced = await replaceWithDirectory(at);
    if (replaced !== undefined) log.warn(`[Cache] ${relative(root, at)}: was ${replaced}; replaced with a directory`);
  }
  if ((await resolvesToItself(deviceDir, dir)) !== true) throw new VfleetError('VFLEET_IO', `cache ${rel}: changed into a symbolic link while it was made; refusing to write through it`);
  return dir;
}

/**
 * The host path of the existing cache folder `rel`, or undefined when it is missing or, on a mapped
 * device, reached through a link (warned: treated as missing, never followed).
 */
export async function existingCacheDir(root: string, rel: string, deviceDir: string | undefined, log: AgentLogger): Promise<string | undefined> {
  const dir = join(root, rel);
  if (deviceDir === undefined) return dir;
  await requireSoundRoot(root, deviceDir);
  const sound = await resolvesToItself(root, dir);
  if (sound === undefined) return undefined;
  if (!sound) {
    log.warn(`[Cache] ${rel}: reached through a symbolic link; treated as missing`);
    return undefined;
  }
  return dir;
}

async function requireSoundRoot(root: string, deviceDir: string): Promise<void> {
  if (await cacheRootSound(root, deviceDir)) return;
  throw new VfleetError('VFLEET_IO', `cache_dir ${root}: not a directory reached through no link (the device replaced it); refusing to use it until the next poll makes it again`);
}
