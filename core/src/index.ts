export * from './errors.js';
export * from './uboot-env/index.js';
export * from './disk/index.js';
export * from './agent-config/index.js';
export * from './state/index.js';
export * from './prn/index.js';
export * from './semver/index.js';
