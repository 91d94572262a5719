export { createDevicePaths, type DevicePathsOptions, type PathMode } from './device-paths.js';
export { createLogger, consoleTime, type LoggerOptions, type LogFormat } from './logger.js';
export { logLevelFromEnv, levelEnabled } from './log-level.js';
export { redactSecrets } from './redact-secrets.js';
export { loadAgentConfig, DEFAULT_CONFIG_PATH, type Env, type LoadedConfig } from './config-load.js';
export { loadIdentity, type IdentityPems, type IdentityInput } from './identity.js';
export { identityParseError, identityNotConfigured, type IdentityField, type IdentitySource } from './identity-error.js';
export { tryBase64Decode, trimCertificatePreamble } from './pem-value.js';
export { openKvStore, createMemoryKvStore, DEFAULT_FW_ENV_CONFIG, type OpenKvOptions } from './kv-store.js';
export { loadAgentSetup, type AgentSetup } from './agent-setup.js';
export { createDeviceTls, deviceConnector, tlsConnectOptions, type DeviceTls, type DeviceTlsOptions } from './device-tls.js';
export { connectDevice, createSessionShare, SESSION_WAIT_MS, type SessionShare } from './tls-session.js';
export { createDeviceApi, restIdleMs, REQUEST_TIMEOUT_MS, type DeviceApiClient, type DeviceApiOptions } from './device-api.js';
export { UPDATE_EXPAND, UPDATE_PATH } from './update-query.js';
export { peridiodUserAgent, PERIDIOD_VERSION } from './user-agent.js';
export {
  createPhoenixClient, socketUrl, HEARTBEAT_INTERVAL_MS, REJOIN_AFTER_MS, type PhoenixClient, type PhoenixClientOptions,
} from './phoenix-client.js';
export { RECONNECT_DELAYS_MS, reconnectDelay } from './reconnect-delay.js';
export { socketJoinParams } from './join-params.js';
export { createHostsLookup, hostsAddresses } from './host-lookup.js';
