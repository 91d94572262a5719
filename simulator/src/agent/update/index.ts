export { createUpdater } from './updater.js';
export type { Updater, UpdaterOptions } from './options.js';
export type { FetchBinary, BinaryRequest, BinaryResponse } from './download/fetch-binary.js';
export type { DownloadTuning } from './download/download.js';
export type { InstallerFactory, InstallerName, InstallJob, InstallEnv, InstallerModel } from './installers/installer.js';
export type { UpdateBinary, UpdateOffer, UpdateSignature, UpdateVia } from './model.js';
export { parseUpdateResponse } from './validate/parse-update.js';
