export { canonicalJson, JsonFloat } from './canonical-json.js';
export { erlangFloat } from './erlang-float.js';
export {
  customMetadataHash, binaryId, binRecord, parseBinRecords, encodeBinRecords, addBinRecord, hasBinRecord,
} from './bin-records.js';
export type { BinRecord } from './bin-records.js';
export { progress, addBinaryProgress, advance, progressReset } from './lifecycle.js';
export type { KvMap, KvChange, ProgressTarget } from './lifecycle.js';
export { stateHeaders, activeSlot, activeSlotParams } from './headers.js';
export type { StateHeaders } from './headers.js';
