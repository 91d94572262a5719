import type { Store } from '../store/index.js';
import type { AdminHooks } from './hooks.js';

export interface AdminContext {
  store: Store;
  hooks: AdminHooks;
  /** Where uploaded binary content is kept, one file per binary UUID. */
  storageDir: string;
  maxUploadBytes: number;
}
