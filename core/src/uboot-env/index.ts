export { crc32 } from './crc32.js';
export { encodeUbootEnv, type EncodeOptions, type PadByte } from './encode.js';
export { decodeUbootEnv, type DecodeOptions, type DecodedEnv } from './decode.js';
export type { EnvVars } from './layout.js';
export type { AllowDevice } from './file-range.js';
export { selectEnvCopy, nextWrite, isFlagNewerOrEqual, type CopyIndex, type SelectedCopy } from './redundant.js';
export { parseFwEnvConfig, formatFwEnvConfig, type FwEnvConfig, type FwEnvCopy } from './fw-env-config.js';
export {
  readUbootEnvFromConfig,
  writeUbootEnvFromConfig,
  updateUbootEnv,
  updateUbootEnvAsync,
  type EnvFileOptions,
  type WriteEnvOptions,
  type EnvFromConfig,
} from './env-file.js';
