import { createHash, verify, createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ed25519Pair, seedCatalog } from '../store/fixtures/seed.js';
import { startHarness, TOKEN, type Harness } from './fixtures/admin-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
  expect(h.errors).toEqual([]);
});

/** A raw request, so bodies can be huge, chunked or cut off; resolves with the status or the socket error. */
function raw(path: string, opts: { headers?: Record<string, string | number>; chunks?: Buffer[]; method?: string }): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(`${h.server.url}${path}`, { method: opts.method ?? 'POST', headers: { authorization: `Bearer ${TOKEN}`, ...opts.headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    for (const chunk of opts.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe('admin API: authentication', () => {
  it('answers 401 with the error shape for a missing or wrong token', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
      const res = await fetch(`${h.server.url}/api/v1/products`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.message).not.toContain(TOKEN);
    }
    expect((await h.api('GET', '/api/v1/products')).status).toBe(200);
  });

  it('checks the token before routing, so unknown paths do not leak to anonymous callers', async () => {
    expect((await fetch(`${h.server.url}/api/v1/nothing`)).status).toBe(401);
  });
});

describe('admin API: requests', () => {
  it('creates, reads, updates, lists and deletes a product', async () => {
    const created = await h.api('POST', '/api/v1/products', { name: 'edge-inference' });
    expect(created.status).toBe(201);
    const { uuid, prn } = created.json.product;
    expect((await h.api('GET', `/api/v1/products/${uuid}`)).json.product.name).toBe('edge-inference');
    expect((await h.api('GET', `/api/v1/products/${encodeURIComponent(prn)}`)).json.product.uuid).toBe(uuid);
    expect((await h.api('PATCH', `/api/v1/products/${uuid}`, { description: 'EVK' })).json.product.description).toBe('EVK');
    expect((await h.api('GET', '/api/v1/products')).json.products.map((p: { uuid: string }) => p.uuid)).toEqual([uuid]);
    expect((await h.api('DELETE', `/api/v1/products/${uuid}`)).status).toBe(204);
    expect((await h.api('GET', `/api/v1/products/${uuid}`)).status).toBe(404);
  });

  it('maps mistakes to 400/404/405/409/415/422 naming the field', async () => {
    const s = seedCatalog(h.store);
    const cases: [string, string, unknown, number, string, string?][] = [
      ['POST', '/api/v1/products', { name: 'x', colour: 'red' }, 400, 'unknown_field', 'product.colour'],
      ['POST', '/api/v1/products', { name: 7 }, 422, 'invalid_value', 'product.name'],
      ['POST', '/api/v1/products', { name: 'edge-inference' }, 409, 'conflict', 'product.name'],
      ['POST', '/api/v1/cohorts', { product_uuid: '9f1d2c3b-0000-4000-8000-000000000000', name: 'c' }, 422, 'unknown_reference', 'cohort.product_uuid'],
      ['PATCH', `/api/v1/releases/${s.r1002.uuid}`, { phase_value: 1.5 }, 422, 'invalid_value', 'release.phase_value'],
      ['PATCH', `/api/v1/releases/${s.r1002.uuid}`, { version: '3.0.0' }, 400, 'unknown_field', 'release.version'],
      ['POST', '/api/v1/releases', { cohort_uuid: s.cohort.uuid, bundle_uuid: s.bundle1.uuid, name: 'n', version: '1.0' }, 422, 'invalid_value', 'release.version'],
      ['GET', '/api/v1/products/9f1d2c3b-0000-4000-8000-000000000000', undefined, 404, 'not_found'],
      ['GET', '/api/v1/products/garbage', undefined, 404, 'not_found'],
      ['DELETE', '/api/v1/releases/9f1d2c3b-0000-4000-8000-000000000000', undefined, 404, 'not_found'],
      ['GET', '/api/v1/nothing-here', undefined, 404, 'not_found'],
      ['PUT', '/api/v1/products', { name: 'x' }, 405, 'method_not_allowed'],
      ['GET', '/api/v1/cohorts?colour=red', undefined, 400, 'unknown_field', 'query.colour'],
      ['GET', '/api/v1/events?limit=0', undefined, 400, 'invalid_value', 'query.limit'],
    ];
    for (const [method, path, body, status, code, field] of cases) {
      const res = await h.api(method, path, body);
      expect({ method, path, status: res.status, code: res.json.error.code }).toEqual({ method, path, status, code });
      if (field !== undefined) {
        expect(res.json.error.field).toBe(field);
        expect(res.json.error.message).toContain(field);
      }
    }
    const wrongMethod = await h.api('PUT', '/api/v1/products');
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
    const notJson = await h.api('POST', '/api/v1/products', 'name=x', { 'content-type': 'text/plain' });
    expect([notJson.status, notJson.json.error.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('survives garbage and huge bodies, then still serves a valid request', async () => {
    const garbage = [
      await h.api('POST', '/api/v1/products', '{"name": '),
      await h.api('POST', '/api/v1/products', '[1,2,3]'),
      await h.api('POST', '/api/v1/products', 'null'),
      await h.api('POST', '/api/v1/products', '\u0000\u00ff{{'),
    ];
    expect(garbage.map((r) => [r.status, r.json.error.code])).toEqual([
      [400, 'invalid_json'], [400, 'invalid_body'], [400, 'invalid_body'], [400, 'invalid_json'],
    ]);
    const mib = Buffer.alloc(1024 * 1024, 0x20);
    const declared = await raw('/api/v1/products', { headers: { 'content-type': 'application/json', 'content-length': 3 * mib.length }, chunks: [mib, mib, mib] });
    expect(declared).toBe(413);
    const chunked = await raw('/api/v1/products', { headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, chunks: [mib, mib] });
    expect(chunked).toBe(413);
    const justUnder = await h.api('POST', '/api/v1/products', `{"name": "spaced"}${' '.repeat(1024 * 1024 - 40)}`);
    expect(justUnder.status).toBe(201);
    expect((await h.api('POST', '/api/v1/products', { name: 'after-the-storm' })).status).toBe(201);
  });

  it('refuses JSON nested deeper than 64 levels with 422 naming where, instead of overflowing the stack', async () => {
    const deep = `{"name": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const r = await h.api('POST', '/api/v1/products', deep);
    expect([r.status, r.json.error.code, r.json.error.field]).toEqual([422, 'invalid_value', 'body']);
    expect(r.json.error.message).toBe('body: nested deeper than 64 levels (at character 72)');
    const ok = await h.api('POST', '/api/v1/products', { name: 'fine' });
    expect(ok.status).toBe(201);
  });

  it('answers a malformed request line with 400 and keeps serving', async () => {
    const { connect } = await import('node:net');
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(h.server.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(reply.startsWith('HTTP/1.1 400')).toBe(true);
    expect((await h.api('GET', '/api/v1/products')).status).toBe(200);
  });
});

describe('admin API: binaries', () => {
  it('streams an upload to storage with its hash and size, then signs it with a backend key', async () => {
    const s = seedCatalog(h.store);
    const version = (await h.api('POST', '/api/v1/artifact-versions', { artifact_uuid: s.artifact.prn, version: 'v3.0.0' })).json.artifact_version;
    const binary = (await h.api('POST', '/api/v1/binaries', { artifact_version_uuid: version.uuid, target: 'arm64-v8' })).json.binary;
    expect([binary.state, binary.custom_metadata]).toEqual(['uploadable', s.artifact.custom_metadata]);
    const content = Buffer.alloc(3 * 1024 * 1024 + 7, 0);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31) & 0xff;
    const uploaded = await h.api('PUT', `/api/v1/binaries/${binary.uuid}/content`, content, { 'content-type': 'application/octet-stream' });
    expect(uploaded.status).toBe(200);
    const hash = createHash('sha256').update(content).digest('hex');
    expect(uploaded.json.binary).toMatchObject({ state: 'uploaded', hash, size: content.length });
    expect(readFileSync(join(h.storageDir, binary.uuid)).equals(content)).toBe(true);
    expect((await h.api('PUT', `/api/v1/binaries/${binary.uuid}/content`, 'again')).status).toBe(409);

    const signed = await h.api('POST', `/api/v1/binaries/${binary.uuid}/signatures`, { signing_key_uuid: s.key.uuid });
    expect(signed.status).toBe(201);
    const signature: string = signed.json.binary_signature.signature;
    expect(signature).toMatch(/^[0-9A-F]{128}$/);
    const publicKey = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(s.key.public_value, 'base64')]), format: 'der', type: 'spki' });
    expect(verify(null, Buffer.from(hash, 'ascii'), publicKey, Buffer.from(signature, 'hex'))).toBe(true);
    expect((await h.api('GET', `/api/v1/binaries/${binary.uuid}`)).json.binary.state).toBe('signed');
    expect((await h.api('GET', `/api/v1/binaries/${binary.uuid}/signatures`)).json.binary_signatures).toHaveLength(1);

    // deleting the binary deletes its stored content
    expect((await h.api('DELETE', `/api/v1/binaries/${binary.uuid}`)).status).toBe(204);
    expect(existsSync(join(h.storageDir, binary.uuid))).toBe(false);
  });

  it('leaves nothing behind when an upload is cut off, and accepts a retry', async () => {
    const s = seedCatalog(h.store);
    const version = h.store.artifactVersions.create({ artifact_uuid: s.artifact.uuid, version: 'v9' });
    const binary = h.store.binaries.create({ artifact_version_uuid: version.uuid, target: 'x' });
    await new Promise<void>((resolve) => {
      const req = request(`${h.server.url}/api/v1/binaries/${binary.uuid}/content`, {
        method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-length': 1024 * 1024 },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(64 * 1024), () => setTimeout(() => req.destroy(), 50));
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(h.storageDir)).toEqual([]);
    expect(h.store.binaries.get(binary.uuid)?.state).toBe('uploadable');
    const tooBig = await raw(`/api/v1/binaries/${binary.uuid}/content`, { method: 'PUT', headers: { 'content-length': 17 * 1024 * 1024 } });
    expect(tooBig).toBe(413);
    const retry = await h.api('PUT', `/api/v1/binaries/${binary.uuid}/content`, 'whole', { 'content-type': 'application/octet-stream' });
    expect([retry.status, retry.json.binary.size]).toEqual([200, 5]);
  });

  it('refuses content that does not match the declared hash and leaves no file', async () => {
    const s = seedCatalog(h.store);
    const version = h.store.artifactVersions.create({ artifact_uuid: s.artifact.uuid, version: 'v9' });
    const binary = (await h.api('POST', '/api/v1/binaries', { artifact_version_uuid: version.uuid, target: 'x', hash: 'a'.repeat(64) })).json.binary;
    const res = await h.api('PUT', `/api/v1/binaries/${binary.uuid}/content`, 'not that', { 'content-type': 'application/octet-stream' });
    expect([res.status, res.json.error.field]).toEqual([422, 'binary.hash']);
    expect(existsSync(h.storageDir) ? readdirSync(h.storageDir) : []).toEqual([]);
    expect(h.store.binaries.get(binary.uuid)?.state).toBe('uploadable');
  });

  it('records an outside signature, and refuses signing with a key the backend cannot use', async () => {
    const s = seedCatalog(h.store);
    const publicOnly = h.store.signingKeys.create({ name: 'public-only', public_value: ed25519Pair().publicValue });
    const version = h.store.artifactVersions.create({ artifact_uuid: s.artifact.uuid, version: 'v9' });
    const binary = h.store.binaries.create({ artifact_version_uuid: version.uuid, target: 'x' });
    await h.api('PUT', `/api/v1/binaries/${binary.uuid}/content`, 'payload', { 'content-type': 'application/octet-stream' });
    const refused = await h.api('POST', `/api/v1/binaries/${binary.uuid}/signatures`, { signing_key_uuid: publicOnly.uuid });
    expect([refused.status, refused.json.error.field]).toEqual([422, 'binary_signature.signature']);
    const forged = await h.api('POST', `/api/v1/binaries/${binary.uuid}/signatures`, { signing_key_uuid: publicOnly.uuid, signature: 'AB'.repeat(64) });
    expect([forged.status, forged.json.error.field]).toEqual([422, 'binary_signature.signature']);
    const unknownKey = await h.api('POST', `/api/v1/binaries/${binary.uuid}/signatures`, { signing_key_uuid: '9f1d2c3b-0000-4000-8000-000000000000' });
    expect([unknownKey.status, unknownKey.json.error.field]).toEqual([422, 'binary_signature.signing_key_uuid']);
  });
});

describe('admin API: devices, tunnels, events', () => {
  it('lists devices with presence and reported state, pages them, and patches them', async () => {
    const s = seedCatalog(h.store);
    const made = [];
    for (let i = 0; i < 3; i++) {
      made.push((await h.api('POST', '/api/v1/devices', { product_uuid: s.product.uuid, identifier: `EI-ML-000${i}`, cohort_uuid: s.cohort.uuid })).json.device);
    }
    h.store.touchDevice(made[0].uuid, { release_prn: s.r1001.prn, version: '1.1.0', bundle_prn: null });
    h.store.setDeviceOnline(made[0].uuid, true);
    const page = await h.api('GET', '/api/v1/devices?limit=2');
    expect(page.json.next_offset).toBe(2);
    expect(page.json.devices[0]).toMatchObject({ identifier: 'EI-ML-0000', online: true, reported_release_prn: s.r1001.prn, reported_version: '1.1.0' });
    expect(page.json.devices[0].last_seen_at).not.toBeNull();
    expect((await h.api('GET', '/api/v1/devices?offset=2')).json).toMatchObject({ next_offset: null, devices: [{ identifier: 'EI-ML-0002' }] });
    const patched = await h.api('PATCH', `/api/v1/devices/${made[1].uuid}`, { tags: ['canary'], quarantined: true });
    expect(patched.json.device).toMatchObject({ tags: ['canary'], quarantined: true });
    expect((await h.api('GET', `/api/v1/devices?identifier=EI-ML-0001&cohort_uuid=${s.cohort.prn}`)).json.devices).toHaveLength(1);
    expect((await h.api('DELETE', `/api/v1/devices/${made[2].uuid}`)).status).toBe(204);
  });

  it('pushes reboot and console input through the hooks, 409 when the device is offline', async () => {
    const s = seedCatalog(h.store);
    const device = h.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001' });
    const offline = await h.api('POST', `/api/v1/devices/${device.uuid}/reboot`);
    expect([offline.status, offline.json.error.code]).toEqual([409, 'device_offline']);
    h.online.add(device.uuid);
    expect((await h.api('POST', `/api/v1/devices/${device.prn}/reboot`)).status).toBe(202);
    expect((await h.api('POST', `/api/v1/devices/${device.uuid}/console`, { data: 'ls\r' })).status).toBe(202);
    expect(h.pushes).toEqual([
      [device.uuid, 'device', 'reboot', {}],
      [device.uuid, 'device', 'reboot', {}],
      [device.uuid, 'console', 'dn', { data: 'ls\r' }],
    ]);
    expect((await h.api('POST', '/api/v1/devices/9f1d2c3b-0000-4000-8000-000000000000/reboot')).status).toBe(404);
    expect((await h.api('POST', `/api/v1/devices/${device.uuid}/reboot`, { now: true })).status).toBe(400);
  });

  it('asks the backend to open tunnels and lists them', async () => {
    const s = seedCatalog(h.store);
    const device = h.store.devices.create({ product_uuid: s.product.uuid, identifier: 'EI-ML-0001' });
    const created = await h.api('POST', '/api/v1/tunnels', { device_uuid: device.prn, device_tunnel_port: 22, ttl_seconds: 600 });
    expect(created.status).toBe(201);
    expect(h.tunnelRequests).toEqual([[device.uuid, { device_tunnel_port: 22, ttl_seconds: 600 }]]);
    expect((await h.api('GET', `/api/v1/tunnels?device_uuid=${device.uuid}&state=requested`)).json.tunnels.map((t: { uuid: string }) => t.uuid)).toEqual([created.json.tunnel.uuid]);
    expect((await h.api('GET', `/api/v1/tunnels/${created.json.tunnel.uuid}`)).json.tunnel.device_tunnel_port).toBe(22);
    const bad = await h.api('POST', '/api/v1/tunnels', { device_uuid: device.uuid, device_tunnel_port: 70000 });
    expect([bad.status, bad.json.error.field]).toEqual([422, 'tunnel.device_tunnel_port']);
    const cidr = await h.api('POST', '/api/v1/tunnels', { device_uuid: device.uuid, device_tunnel_port: 22, cidr_block_allowlist: ['127.0.0.1/32', '999.1.1.1/99'] });
    expect([cidr.status, cidr.json.error.field]).toEqual([422, 'tunnel.cidr_block_allowlist[1]']);
    expect(cidr.json.error.message).toMatch(/"999\.1\.1\.1\/99" is not an IPv4 or IPv6 address/);
    const huge = await h.api('POST', '/api/v1/tunnels', { device_uuid: 'x'.repeat(500_000), device_tunnel_port: 'y'.repeat(500_000) });
    expect(huge.status).toBe(422);
    expect(JSON.stringify(huge.json).length).toBeLessThan(1000);
    expect(h.tunnelRequests).toHaveLength(1);
  });

  it('pages events with since and limit', async () => {
    for (let i = 0; i < 5; i++) h.store.recordEvent('poll', null, { i });
    const first = await h.api('GET', '/api/v1/events?limit=2');
    expect(first.json.events.map((e: { data: { i: number } }) => e.data.i)).toEqual([0, 1]);
    const rest = await h.api('GET', `/api/v1/events?since=${first.json.next_since}&limit=10`);
    expect(rest.json.events.map((e: { data: { i: number } }) => e.data.i)).toEqual([2, 3, 4]);
    const none = await h.api('GET', `/api/v1/events?since=${rest.json.next_since}`);
    expect(none.json).toEqual({ events: [], next_since: rest.json.next_since });
  });
});
