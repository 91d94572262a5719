export * from './errors.js';
export * from './uboot-env/index.js';
