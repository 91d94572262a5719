import { rm } from 'node:fs/promises';
import type { AdminContext } from '../context.js';
import { readJsonObject } from '../body.js';
import { HttpError } from '../http-error.js';
import { found, idOf, queryOf } from '../ids.js';
import type { Router } from '../router.js';
import { signSha256Hex } from '../sign.js';
import { receiveUpload } from '../upload.js';

/** `PUT /binaries/:id/content` (streamed upload) and `GET/POST /binaries/:id/signatures`. */
export function binaryContentRoutes(router: Router, { store, storageDir, maxUploadBytes }: AdminContext): void {
  const inFlight = new Set<string>();
  const signingKey = (ref: string) => {
    try {
      return store.signingKeys.get(idOf(ref, 'signing_key'));
    } catch {
      return undefined;
    }
  };

  router.add('PUT', '/api/v1/binaries/:id/content', async ({ req, params, query }) => {
    queryOf(query, []);
    const id = params['id'] ?? '';
    const binary = found(store.binaries.get(idOf(id, 'binary')), 'binary', id);
    if (binary.state !== 'uploadable') throw new HttpError(409, 'conflict', `binary.state: binary ${binary.uuid} is ${binary.state}; content can be uploaded only once`, 'binary.state');
    if (inFlight.has(binary.uuid)) throw new HttpError(409, 'conflict', `binary ${binary.uuid}: an upload is already in progress`);
    inFlight.add(binary.uuid);
    try {
      const content = await receiveUpload(req, storageDir, binary.uuid, maxUploadBytes);
      try {
        return { status: 200, body: { binary: store.binaries.completeUpload(binary.uuid, { hash: content.hash, size: content.size, storage_path: content.path }) } };
      } catch (e) {
        await rm(content.path, { force: true });
        throw e;
      }
    } finally {
      inFlight.delete(binary.uuid);
    }
  });

  router.add('GET', '/api/v1/binaries/:id/signatures', ({ params, query }) => {
    queryOf(query, []);
    const id = params['id'] ?? '';
    const binary = found(store.binaries.get(idOf(id, 'binary')), 'binary', id);
    return { status: 200, body: { binary_signatures: store.binarySignatures.list({ binary_uuid: binary.uuid }) } };
  });

  /** `{signing_key_uuid}` signs with the key the backend holds; `{signing_key_uuid, signature}` records a signature made elsewhere. */
  router.add('POST', '/api/v1/binaries/:id/signatures', async ({ req, params, query }) => {
    queryOf(query, []);
    const id = params['id'] ?? '';
    const binary = found(store.binaries.get(idOf(id, 'binary')), 'binary', id);
    const body = await readJsonObject(req);
    const unknown = Object.keys(body).filter((k) => k !== 'signing_key_uuid' && k !== 'signature');
    if (unknown.length > 0) {
      throw new HttpError(400, 'unknown_field', `binary_signature.${unknown[0] ?? ''}: unknown field (accepted: signing_key_uuid, signature)`, `binary_signature.${unknown[0] ?? ''}`);
    }
    let signature = body['signature'];
    const key = typeof body['signing_key_uuid'] === 'string' ? signingKey(body['signing_key_uuid']) : undefined;
    // Otherwise the store names what is missing or wrong.
    if (signature === undefined && key !== undefined && binary.hash !== null && binary.state !== 'uploadable') {
      const privatePem = store.signingKeys.privateKeyPem(key.uuid);
      if (privatePem === null) {
        throw new HttpError(422, 'invalid_value', `binary_signature.signature: the backend holds no private key for signing key ${key.name}; give the signature`, 'binary_signature.signature');
      }
      signature = signSha256Hex(privatePem, binary.hash);
    }
    const created = store.binarySignatures.create({ binary_uuid: binary.uuid, signing_key_uuid: body['signing_key_uuid'] as string, signature: signature as string });
    return { status: 201, body: { binary_signature: created } };
  });
}
