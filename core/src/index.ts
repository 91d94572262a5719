export * from './errors.js';
export * from './uboot-env/index.js';
export * from './disk/index.js';
