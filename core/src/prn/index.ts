export { PRN_TYPES, isPrnType, isUuid, parsePrn, formatPrn, prnUuid, truncatePrn, makePrn } from './prn.js';
export type { Prn, PrnType } from './prn.js';
