export { createAdminServer, type AdminServer, type AdminServerOptions } from './server.js';
export type { AdminHooks, TunnelDataPlaneInfo, TunnelRequest } from './hooks.js';
export { generateAdminToken, loadOrCreateAdminToken } from './token.js';
export { signSha256Hex } from './sign.js';
