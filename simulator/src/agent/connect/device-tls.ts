// One TLS context per device (client certificate, key, trusted CA), shared by its REST and socket clients.
import { isIP, type LookupFunction } from 'node:net';
import { createSecureContext, type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';
import { VfleetError, type AgentConfig } from '@vfleet/core';
import type { DevicePaths } from '../types.js';
import { readDeviceFile, readReason } from './device-read.js';
import { createHostsLookup } from './host-lookup.js';
import type { IdentityPems } from './identity.js';
import { connectDevice, createSessionShare, type SessionShare } from './tls-session.js';

export interface DeviceTls {
  host: string;
  port: number;
  secureContext: SecureContext;
  /** The host for SNI; undefined when the host is an IP address (SNI carries names only). */
  servername: string | undefined;
  rejectUnauthorized: boolean;
  /** Resolves the host through the device's /etc/hosts first (absent without `paths`: system resolver). */
  lookup?: LookupFunction;
  /** The device's TLS session, resumed by each of its connections (see connectDevice). */
  sessions: SessionShare;
}

export interface DeviceTlsOptions {
  config: AgentConfig;
  identity: IdentityPems;
  /** The CA that signs the device API's certificate; else read from device_api.certificate_path through `paths`. */
  caPem?: string;
  paths?: DevicePaths;
}

function readCa(config: AgentConfig, paths: DevicePaths | undefined): string | undefined {
  const devicePath = config.deviceApi.certificatePath;
  // null = peridiod's built-in pinned certificate, which vfleet does not ship: Node's root store stands in.
  if (devicePath === null) return undefined;
  if (paths === undefined) throw new VfleetError('VFLEET_USAGE', `device TLS: device_api.certificate_path ${devicePath} is set but no DevicePaths was given to read it`);
  const read = readDeviceFile(paths, devicePath);
  if (read.status === 'ok') return read.bytes.toString('utf8');
  throw new VfleetError('VFLEET_CONFIG_INVALID', `device_api.certificate_path ${devicePath}: cannot read the CA certificate (${'error' in read ? (read.error.code ?? read.error.message) : readReason(read)})`, 'error' in read ? { cause: read.error } : undefined);
}

export function createDeviceTls(options: DeviceTlsOptions): DeviceTls {
  const { config, identity } = options;
  const ca = options.caPem ?? readCa(config, options.paths);
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext({
      cert: identity.certPem,
      key: identity.keyPem,
      minVersion: 'TLSv1.2',
      ...(ca === undefined ? {} : { ca }),
    });
  } catch (cause) {
    throw new VfleetError('VFLEET_CONFIG_INVALID', `device TLS: the identity or device_api CA cannot be loaded: ${(cause as Error).message}`, { cause });
  }
  const { host, port, verify } = config.deviceApi;
  const tls: DeviceTls = {
    host, port, secureContext, servername: isIP(host) === 0 ? host : undefined, rejectUnauthorized: verify, sessions: createSessionShare(),
  };
  if (options.paths !== undefined) tls.lookup = createHostsLookup(options.paths);
  return tls;
}

/** Options for tls.connect / https / ws that present this device's identity. */
export function tlsConnectOptions(tls: DeviceTls): { secureContext: SecureContext; rejectUnauthorized: boolean; servername?: string; lookup?: LookupFunction } {
  return {
    secureContext: tls.secureContext,
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.lookup === undefined ? {} : { lookup: tls.lookup }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  };
}

/** A `createConnection(options, callback)` for https agents and ws: this device's identity, resuming its TLS session. */
export function deviceConnector(tls: DeviceTls, signal?: AbortSignal) {
  return (options: ConnectionOptions, callback: (err: Error | null, socket?: TLSSocket) => void): undefined => {
    connectDevice({ options, identity: tlsConnectOptions(tls), share: tls.sessions, signal }, callback);
    return undefined;
  };
}
