export { resolveUpdate } from './resolve-update.js';
export { inPhase, phasePoint } from './phase.js';
export type {
  ResolveBundle, ResolveBundleOverride, ResolveDevice, ResolveInput, ResolveRelease, ResolveResult, StateHeaders,
} from './types.js';
