export { BOOT_HEALTHS, type BootHealth, type BootHeaderMeta } from './boot-meta.js';
export {
  BOOT_HEADER_SIZE, BOOT_HEADER_MAGIC, BOOT_HEADER_VERSION, MAX_META_JSON, encodeBootHeader, decodeBootHeader,
} from './boot-header.js';
export { createOsImage, osImageStream, osImageBytes, MAX_IN_MEMORY_IMAGE, type OsImage, type ImageRange } from './os-image.js';
export { bootDevice, type BootInput, type BootResult, type BootOutcome } from './boot-device.js';
export { DEFAULT_BOOTLIMIT, otherSlot, type SlotName } from './boot-env.js';
export { validateSlot } from './validate-slot.js';
export { applyEnvChanges, type EnvChanges } from './env-changes.js';
