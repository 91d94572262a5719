import type { UpdateBinary, UpdateVia } from '../model.js';

// Cache paths of protocol §5.8, relative to cache_dir. PRNs were validated at the boundary, so each is one path segment.
export const viaDir = (via: UpdateVia): string => (via.kind === 'release' ? `release/${via.prn}` : `override/${via.prn}`);
export const bundleDir = (bundlePrn: string): string => `bundle/${bundlePrn}`;
export const binaryKey = (binary: Pick<UpdateBinary, 'prn' | 'customMetadataHash'>): string => `${binary.prn}:${binary.customMetadataHash}`;
export const binaryDir = (binary: Pick<UpdateBinary, 'prn' | 'customMetadataHash'>): string => `binary/${binaryKey(binary)}`;
export const binaryFile = (binary: Pick<UpdateBinary, 'prn' | 'customMetadataHash'>): string => `${binaryDir(binary)}/binary`;
export const STAMP_CACHED = '.stamp_cached';
export const STAMP_INSTALLED = '.stamp_installed';
