/** Interfaces the agent's parts share; each host (container, process, in-process) supplies them. */

/** Log sink; messages are peridiod's §9.2 text, word for word. */
export interface AgentLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Maps an absolute device path to the host path that backs it (the one place paths are mapped). */
export interface DevicePaths {
  map(devicePath: string): string;
}

/** peridiod's persistent KV (protocol §3): the U-Boot env, or memory when that fails to load. */
export interface KvStore {
  get(key: string): string | undefined;
  all(): Map<string, string>;
  /** Writes the changed keys durably (read-modify-write of the env block, fsync) before resolving. */
  putMany(changes: ReadonlyMap<string, string>): Promise<void>;
  readonly persistent: boolean;
}

/** A reboot request leaves the agent: the host turns it into a restart (exit code, container restart…). */
export type RebootRequester = (reason: 'update' | 'server') => void;

export interface HttpResult {
  status: number;
  /** Parsed JSON when the body is JSON, else the raw text. */
  body: unknown;
}

/** The mTLS REST client of the device API (protocol §4.1–4.3). Rejects only on transport errors. */
export interface DeviceApi {
  /** `GET /update?expand[]=…` with the §4.2 state headers given. */
  getUpdate(stateHeaders: Readonly<Record<string, string>>): Promise<HttpResult>;
  getTunnels(): Promise<HttpResult>;
  configureTunnel(tunnelPrn: string, body: unknown): Promise<HttpResult>;
  closeTunnel(tunnelPrn: string, closeReason: string): Promise<HttpResult>;
}
