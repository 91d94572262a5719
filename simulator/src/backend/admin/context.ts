import type { Store } from '../store/index.js';
import type { AdminHooks } from './hooks.js';

/** Largest binary upload accepted unless the server is given `maxUploadBytes`. */
export const DEFAULT_MAX_UPLOAD_BYTES = 8 * 1024 ** 3;

export interface AdminContext {
  store: Store;
  hooks: AdminHooks;
  /** Where uploaded binary content is kept, one file per binary UUID. */
  storageDir: string;
  maxUploadBytes: number;
}
