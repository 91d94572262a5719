import { readFile, stat } from 'node:fs/promises';

/**
 * Hot binaries kept in memory so that a rollout to many devices reads the file once instead of
 * once per download. An entry is used only while the file still has the same inode, size and
 * mtime (a re-upload replaces it); least recently used entries go past `maxBytes`.
 */
export interface ContentCache {
  /** The file's bytes when it is `size` bytes long and small enough to keep, else undefined (stream it). */
  get(path: string, size: number): Promise<Buffer | undefined>;
  /** Bytes held now. */
  bytes(): number;
}

export interface ContentCacheOptions {
  maxBytes: number;
  maxFileBytes: number;
}

export const DEFAULT_CONTENT_CACHE: ContentCacheOptions = { maxBytes: 256 * 1024 * 1024, maxFileBytes: 64 * 1024 * 1024 };

interface Entry {
  version: string;
  size: number;
  content: Promise<Buffer | undefined>;
}

export function createContentCache(options: ContentCacheOptions = DEFAULT_CONTENT_CACHE): ContentCache {
  const entries = new Map<string, Entry>();
  let held = 0;
  const evict = (path: string): void => {
    const entry = entries.get(path);
    if (entry === undefined) return;
    entries.delete(path);
    held -= entry.size;
  };
  return {
    bytes: () => held,
    async get(path, size) {
      if (size > options.maxFileBytes || size > options.maxBytes) return undefined;
      let version: string;
      try {
        const st = await stat(path);
        if (!st.isFile() || st.size !== size) return undefined;
        version = `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        return undefined; // the streaming path reports the error
      }
      const known = entries.get(path);
      if (known?.version === version) {
        entries.delete(path); // most recently used last
        entries.set(path, known);
        return known.content;
      }
      evict(path);
      const entry: Entry = {
        version,
        size,
        // a file that changed while being read is not kept (the next request reads it again)
        content: readFile(path).then((b) => (b.length === size ? b : undefined), () => undefined),
      };
      entries.set(path, entry);
      held += size;
      for (const [oldest] of entries) {
        if (held <= options.maxBytes) break;
        evict(oldest);
      }
      const content = await entry.content;
      if (content === undefined && entries.get(path) === entry) evict(path);
      return content;
    },
  };
}
