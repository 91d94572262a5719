import { storeBinary } from '../cache/store-binary.js';
import type { InstallerFactory } from './installer.js';

/** `cache` (protocol §5.7): only stores the binary in the cache and stamps it cached. */
export const cacheInstaller: InstallerFactory = (binary) => ({
  installer: 'cache',
  model: 'parallel',
  stream: (source, env) => storeBinary(env.cache, binary, source, env.signal),
});
