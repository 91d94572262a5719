// Test support: throwaway PKI made with core, an mTLS node:https server on 127.0.0.1, and configs pointing at it.
import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  createDeviceIdentity, createIntermediateCa, createRootCa, createServerCertificate, defaultAgentConfig, type AgentConfig,
} from '@vfleet/core';
import type { IdentityPems } from './identity.js';

export interface TestPki {
  /** Trusted by devices for the device API. */
  root: { certPem: string; keyPem: string };
  /** Issues device certificates; the server trusts it for client certificates. */
  intermediate: { certPem: string; keyPem: string };
  server: { certPem: string; keyPem: string };
  device: IdentityPems;
  /** A CA that has nothing to do with the server. */
  rogue: { certPem: string; keyPem: string };
}

export function makeTestPki(deviceId = 'EI-ML-0001'): TestPki {
  const root = createRootCa({ commonName: 'Root CA vfleet-test' });
  const intermediate = createIntermediateCa({ commonName: 'Intermediate CA vfleet-test', issuer: root });
  const server = createServerCertificate({ hosts: ['localhost', '127.0.0.1'], issuer: root });
  const { certPem, keyPem } = createDeviceIdentity({ deviceId, issuer: intermediate });
  return { root, intermediate, server, device: { certPem, keyPem, commonName: deviceId }, rogue: createRootCa({ commonName: 'Rogue CA' }) };
}

export interface TestServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startTlsServer(pki: TestPki, handler?: RequestListener): Promise<TestServer> {
  const server = createServer(
    { cert: pki.server.certPem, key: pki.server.keyPem, ca: [pki.root.certPem, pki.intermediate.certPem], requestCert: true, rejectUnauthorized: true },
    handler,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function configFor(port: number, deviceApi: Partial<AgentConfig['deviceApi']> = {}): AgentConfig {
  const config = defaultAgentConfig();
  return { ...config, deviceApi: { ...config.deviceApi, host: '127.0.0.1', port, certificatePath: null, ...deviceApi } };
}
