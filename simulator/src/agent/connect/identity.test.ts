import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NodeIdentity } from '@vfleet/core';
import { createDevicePaths } from './device-paths.js';
import { loadIdentity, type IdentityPems } from './identity.js';
import { createMemoryKvStore } from './kv-store.js';
import { makeTestPki, type TestPki } from './test-fixtures.js';

let pki: TestPki;
let dir: string | undefined;
let errors: string[];

beforeAll(() => {
  pki = makeTestPki();
});

afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function load(node: NodeIdentity, env: Record<string, string> = {}, kv: Record<string, string> = {}) {
  dir ??= mkdtempSync(join(tmpdir(), 'vfleet-identity-'));
  errors = [];
  const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => errors.push(m) };
  return loadIdentity({ node, env, kv: createMemoryKvStore(new Map(Object.entries(kv))), paths: createDevicePaths({ root: dir, mode: 'mapped' }), log });
}

const env = (certificate: string | null = 'PERIDIO_CERTIFICATE', privateKey: string | null = 'PERIDIO_PRIVATE_KEY'): NodeIdentity => ({ source: 'env', certificate, privateKey });

/** The PEMs and CN as given, and the key parsed once: the same key the PEM holds. */
function expectDevice(id: IdentityPems): void {
  const { privateKey, ...pems } = id;
  expect(pems).toEqual(pki.device);
  expect(privateKey?.export({ type: 'pkcs8', format: 'der' })).toEqual(createPrivateKey(pki.device.keyPem).export({ type: 'pkcs8', format: 'der' }));
}

describe('loadIdentity', () => {
  it('file: reads both PEM files through the device paths', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vfleet-identity-'));
    writeFileSync(join(dir, 'device-certificate.pem'), pki.device.certPem);
    writeFileSync(join(dir, 'device-private-key.pem'), pki.device.keyPem);
    const id = await load({ source: 'file', certificatePath: '/etc/peridiod/device-certificate.pem', privateKeyPath: '/etc/peridiod/device-private-key.pem' });
    expectDevice(id);
  });

  it('parses the key once whatever its PEM shape: SEC1, PKCS#8, CRLF lines; an encrypted key is :malformed', async () => {
    const key = createPrivateKey(pki.device.keyPem);
    const want = key.export({ type: 'pkcs8', format: 'der' });
    const shapes = {
      sec1: pki.device.keyPem,
      pkcs8: key.export({ type: 'pkcs8', format: 'pem' }) as string,
      crlf: pki.device.keyPem.replace(/\n/g, '\r\n'),
    };
    for (const [shape, pem] of Object.entries(shapes)) {
      const id = await load(env(), { PERIDIO_CERTIFICATE: pki.device.certPem, PERIDIO_PRIVATE_KEY: pem });
      expect(id.privateKey?.export({ type: 'pkcs8', format: 'der' }), shape).toEqual(want);
    }
    const encrypted = key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
    await expect(load(env(), { PERIDIO_CERTIFICATE: pki.device.certPem, PERIDIO_PRIVATE_KEY: encrypted })).rejects.toThrow(/:malformed/);
  });

  it('reads the CN as the certificate holds it, also when printing it would escape characters', async () => {
    for (const cn of ['EI-ML-0042', 'EI, ML "42"+x\\y']) {
      const { certPem, keyPem } = makeTestPki(cn).device;
      const id = await load(env(), { PERIDIO_CERTIFICATE: b64(certPem), PERIDIO_PRIVATE_KEY: b64(keyPem) });
      expect(id.commonName).toBe(cn);
    }
  });

  it('file: a missing file gives peridiod\'s ParseError text', async () => {
    const p = load({ source: 'file', certificatePath: '/etc/peridiod/nope.pem', privateKeyPath: '/etc/peridiod/key.pem' });
    await expect(p).rejects.toMatchObject({
      code: 'VFLEET_CONFIG_INVALID',
      message:
        'Failed to parse certificate from file (file: /etc/peridiod/nope.pem): {:file_read_error, :enoent}.\n' +
        'peridiod cannot start with an invalid identity.\nVerify the PEM file exists and is readable.',
    });
  });

  it('env: single-line base64 with a preamble before the certificate, and raw PEM, both load', async () => {
    const withPreamble = `Bag Attributes\n    friendlyName: device\n${pki.device.certPem}`;
    const fromB64 = await load(env(), { PERIDIO_CERTIFICATE: b64(withPreamble), PERIDIO_PRIVATE_KEY: b64(pki.device.keyPem) });
    expectDevice(fromB64);
    const raw = await load(env('C', 'K'), { C: pki.device.certPem, K: pki.device.keyPem });
    expectDevice(raw);
  });

  it('env: base64 with line breaks is not strict base64, so it is used raw and fails to parse', async () => {
    const wrapped = b64(pki.device.certPem).replace(/(.{64})/g, '$1\n');
    await expect(load(env(), { PERIDIO_CERTIFICATE: wrapped, PERIDIO_PRIVATE_KEY: pki.device.keyPem })).rejects.toThrow(
      /^Failed to parse certificate from env \(env var: PERIDIO_CERTIFICATE\): :not_found\.\nperidiod cannot start with an invalid identity\.\nVerify the env var value is a valid PEM\.$/,
    );
  });

  it('env: a missing variable names it (the key is fetched first, as peridiod does)', async () => {
    await expect(load(env(), {})).rejects.toThrow('Failed to parse private_key from env (env var: PERIDIO_PRIVATE_KEY): :not_found.');
    await expect(load(env(), { PERIDIO_PRIVATE_KEY: pki.device.keyPem })).rejects.toThrow(
      'Failed to parse certificate from env (env var: PERIDIO_CERTIFICATE): :not_found.',
    );
  });

  it('env: a corrupt PEM is :malformed and the message carries no key material', async () => {
    const badKey = pki.device.keyPem.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA');
    const err = (await load(env(), { PERIDIO_CERTIFICATE: pki.device.certPem, PERIDIO_PRIVATE_KEY: badKey }).catch((e: unknown) => e)) as Error;
    expect(err.message.split('\n')[0]).toBe('Failed to parse private_key from env (env var: PERIDIO_PRIVATE_KEY): :malformed.');
    expect(err.message).not.toMatch(/BEGIN|AAAAAAAAAA/);
  });

  it('uboot-env: reads the KV keys with the same decoding', async () => {
    const node: NodeIdentity = { source: 'uboot-env', certificate: 'peridio_cert', privateKey: 'peridio_key' };
    expectDevice(await load(node, {}, { peridio_cert: b64(pki.device.certPem), peridio_key: b64(pki.device.keyPem) }));
    await expect(load(node, {}, { peridio_key: b64(pki.device.keyPem) })).rejects.toThrow(
      'Failed to parse certificate from uboot-env (KV key: peridio_cert): :not_found.\nperidiod cannot start with an invalid identity.\nVerify the KV entry contains a valid PEM value.',
    );
  });

  it('pkcs11 is refused as not supported', async () => {
    const node: NodeIdentity = { source: 'pkcs11', keyId: 'pkcs11:token=MCHP;object=device;type=private', pkcs11Path: null, certId: null, certificatePath: '/etc/peridiod/c.pem' };
    await expect(load(node)).rejects.toMatchObject({ code: 'VFLEET_CONFIG_INVALID', message: expect.stringMatching(/^pkcs11 key_pair_source is not supported by vfleet's agent/) as unknown });
  });

  it('no identity configured: peridiod\'s log line, then "Identity not configured"', async () => {
    await expect(load(env(null, null))).rejects.toMatchObject({
      code: 'VFLEET_CONFIG_INVALID',
      message:
        'Identity not configured for certificate with key_pair_source=env: :identity_not_configured.\n' +
        'peridiod cannot start with an invalid identity.\nCheck node.key_pair_source and node.key_pair_config in peridio-config.json.',
    });
    expect(errors).toEqual(['[Config] key_pair_source env requires private_key and certificate to be passed as key_pair_options']);
    await expect(load({ source: 'file', certificatePath: '/c.pem', privateKeyPath: null })).rejects.toThrow(/^Identity not configured for certificate with key_pair_source=file/);
    expect(errors).toEqual(['[Config] key_pair_source file requires certificate_path and private_key_path to be passed as key_pair_options']);
  });
});
