export { parseAgentConfig, defaultAgentConfig } from './parse.js';
export { readAgentConfig, unwrapAgentConfig, formatConfigIssue } from './read.js';
export { describeConfigKeys } from './describe.js';
export type { ConfigKeyDoc } from './describe.js';
export { configPathFromEnv } from './config-path.js';
export { locateJsonError } from './json-syntax.js';
export { isHostPort } from './host-port.js';
export type { JsonSyntaxError } from './json-syntax.js';
export type {
  AgentConfig, AgentConfigResult, ConfigIssue, InterfacePriority, KeyPairSource, LogLevel, NodeIdentity, PortRange,
} from './types.js';
