export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
export type KeyPairSource = 'file' | 'env' | 'uboot-env' | 'pkcs11';

/** Identity settings (`node.*`, protocol §2); null means the key is not set. */
export type NodeIdentity =
  | { source: 'file'; certificatePath: string | null; privateKeyPath: string | null }
  /** `privateKey`/`certificate` are names of environment variables. */
  | { source: 'env'; privateKey: string | null; certificate: string | null }
  /** `privateKey`/`certificate` are names of KV (U-Boot env) variables. */
  | { source: 'uboot-env'; privateKey: string | null; certificate: string | null }
  | { source: 'pkcs11'; keyId: string | null; pkcs11Path: string | null; certId: string | null; certificatePath: string | null };

export interface InterfacePriority {
  name: string;
  disconnectOnHigherPriority: boolean;
}

export interface PortRange {
  start: number;
  end: number;
}

/**
 * A validated `peridio.json` with every default applied. A null path means "peridiod's built-in
 * location" (see describeConfigKeys() for what that is).
 */
export interface AgentConfig {
  version: number | null;
  cacheDir: string;
  cacheEncryptionEnabled: boolean;
  cacheLogEnabled: boolean;
  cacheLogMaxBytes: number;
  cacheLogMaxFiles: number;
  cacheLogCompress: boolean;
  cacheLogLevel: LogLevel;
  deviceApi: { host: string; port: number; certificatePath: string | null; verify: boolean };
  fwup: { devpath: string; publicKeys: string[]; extraArgs: string[]; env: Record<string, string>; streamChunkBytes: number };
  distributions: { cacheDownload: boolean; downloadParallelCount: number; downloadParallelChunkBytes: number };
  rebootDelay: number;
  rebootCmd: string;
  rebootOpts: string[];
  rebootSyncCmd: string;
  rebootSyncOpts: string[];
  remoteShell: boolean;
  remoteIex: boolean;
  remoteAccessTunnels: {
    enabled: boolean;
    servicePorts: number[];
    persistentKeepalive: number;
    dataDir: string | null;
    portRange: PortRange;
    ipv4Cidrs: string[];
    routingTable: number;
    hooks: { preUp: string | null; postUp: string | null; preDown: string | null; postDown: string | null };
  };
  networkMonitor: { interfacePriority: InterfacePriority[] };
  node: NodeIdentity;
  socketEnabled: boolean;
  targets: string[];
  /** Entries that peridiod would load; invalid ones are dropped with a warning. */
  trustedSigningKeys: string[];
  trustedSigningKeyThreshold: number;
  trustedSigningKeyDir: string | null;
  /** From `update_poll_enabled`, else `release_poll_enabled`. */
  updatePollEnabled: boolean;
  /** From `update_poll_interval`, else `release_poll_interval` (ms). */
  updatePollInterval: number;
  updateResumeMaxBootCount: number;
}

/** A problem at a JSON path such as `$.remote_access_tunnels.service_ports[1]`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** `source` is the file name (or other origin) given to parseAgentConfig, for messages. */
export type AgentConfigResult =
  | { ok: true; source: string; config: AgentConfig; warnings: ConfigIssue[] }
  | { ok: false; source: string; errors: ConfigIssue[] };
