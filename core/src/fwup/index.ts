export { blake2b, blake2b256Hex, Blake2b } from './blake2b.js';
export { listZipEntries, readZipEntry, type ZipEntry } from './zip-read.js';
export { FileBytes, type ResourceBytes, type ZipSource } from './zip-source.js';
export { encodeZip, type ZipFile } from './zip-write.js';
export { parseMetaConf, type ParseMetaConfOptions } from './meta-conf.js';
export { formatMetaConf } from './meta-conf-format.js';
export type {
  FwupCall,
  FwupMeta,
  FwupMetadata,
  FwupOnResource,
  FwupResource,
  FwupTask,
  FwupUbootEnv,
} from './meta-types.js';
export {
  createFwupKeyPair,
  parseFwupPrivateKey,
  parseFwupPublicKey,
  signFwupMetaConf,
  verifyFwupMetaConf,
  type FwupPrivateKey,
} from './keys.js';
export { fwupMetaUuid } from './meta-uuid.js';
export {
  decodeFwupArchive,
  openFwupArchiveFile,
  readFwupArchive,
  type DecodeFwupOptions,
  type DecodedFwupArchive,
  type FwupArchive,
  type FwupArchiveFile,
  type FwupArchiveEntry,
  type OpenFwupArchiveOptions,
  type FwupSignatureStatus,
} from './archive.js';
export { verifyFwupArchive, type FwupVerifyResult } from './verify.js';
export { fwupMetadataLines, listFwupTasks } from './list.js';
export { bufferImageTarget, openImageFile, type ImageFile, type ImageTarget } from './image-target.js';
export type { TrimMode } from './planned-image.js';
export {
  applyFwupArchive,
  applyFwupArchiveToFile,
  commitFwupPlan,
  planFwupApply,
  type FwupApplyOptions,
  type FwupApplyResult,
  type FwupFileApplyOptions,
  type FwupPlan,
  type FwupTaskOptions,
  type FwupWrite,
} from './apply.js';
export { createFwupArchive, fwupCall, fwupMetaFor, type CreateFwupArchiveInput, type FwupTaskInput } from './create.js';
export { abUpgradeTasks, type AbUpgradeTasksInput } from './ab-tasks.js';
export { inflateFwupResources, type InflateFwupResourcesOptions } from './inflate-entries.js';
