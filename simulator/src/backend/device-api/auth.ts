import type { TLSSocket } from 'node:tls';
import type { CaCertificate, Device, Store } from '../store/index.js';

export type AuthResult =
  | { ok: true; device: Device; created: boolean }
  | { ok: false; status: 401 | 403; message: string };

const fingerprintOf = (colonHex: string): string => colonHex.replaceAll(':', '').toLowerCase();

/**
 * Maps a TLS client certificate to a device (protocol App. B.1): the issuer must be a registered CA,
 * the device is the subject CN; unknown devices under a JITP CA are created on first contact.
 * The result is kept per TLS connection, so keep-alive polls pay for it once.
 */
export function createDeviceAuthenticator(store: Store, onJitp?: (device: Device, ca: CaCertificate) => void) {
  const perSocket = new WeakMap<TLSSocket, { result: AuthResult; generation: number }>();

  /**
   * The device's catalog fields (cohort, tags, quarantine…) are current; its presence fields
   * (last seen, online, reported release) are as of the last catalog change: read them from the store.
   */
  function authenticate(socket: TLSSocket): AuthResult {
    const cached = perSocket.get(socket);
    if (cached !== undefined) {
      // nothing in the catalog changed since: the device row is still right, no lookup or copy per poll
      if (!cached.result.ok || cached.generation === store.generation()) return cached.result;
      const device = store.devices.get(cached.result.device.uuid);
      // a device deleted under an open connection stays refused on it (no JITP again on the same socket)
      cached.result = device ? { ok: true, device, created: false } : { ok: false, status: 403, message: 'device was deleted' };
      cached.generation = store.generation();
      return cached.result;
    }
    const result = decide(socket);
    if (result.ok) perSocket.set(socket, { result: { ...result, created: false }, generation: store.generation() });
    return result;
  }

  function decide(socket: TLSSocket): AuthResult {
    if (!socket.authorized) {
      return { ok: false, status: 401, message: `client certificate required and trusted (${String(socket.authorizationError ?? 'none presented')})` };
    }
    const peer = socket.getPeerCertificate(true);
    const cn = peer.subject?.CN;
    const identifier = Array.isArray(cn) ? cn[0] : cn;
    if (!identifier) return { ok: false, status: 403, message: 'client certificate has no subject CN' };
    const issuer = peer.issuerCertificate;
    const ca = issuer && issuer !== peer ? store.caCertificates.getByFingerprint(fingerprintOf(issuer.fingerprint256)) : undefined;
    if (!ca) return { ok: false, status: 403, message: `certificate of ${identifier} is not issued by a registered CA` };
    const cohort = ca.jitp ? store.cohorts.get(ca.jitp.cohort_uuid) : ca.cohort_uuid ? store.cohorts.get(ca.cohort_uuid) : undefined;
    const productUuid = cohort?.product_uuid;
    const known = productUuid ? store.devices.getByIdentifier(productUuid, identifier) : findAnyProduct(identifier);
    if (known) return { ok: true, device: known, created: false };
    if (!ca.jitp || !cohort || !productUuid) {
      return { ok: false, status: 403, message: `device ${identifier} is not registered and CA ${ca.subject} does not provision just in time` };
    }
    const jitp = ca.jitp;
    // the device and its certificate in one commit: a crash never leaves a device without its certificate
    const device = store.transaction(() => {
      const created = store.devices.create({
        product_uuid: productUuid,
        identifier,
        cohort_uuid: jitp.cohort_uuid,
        tags: jitp.tags,
        target: jitp.target,
        origin: 'jitp',
        description: jitp.description,
      });
      if (!store.deviceCertificates.getByFingerprint(fingerprintOf(peer.fingerprint256))) {
        store.deviceCertificates.create({ device_uuid: created.uuid, fingerprint: fingerprintOf(peer.fingerprint256), not_after: new Date(peer.valid_to).toISOString(), ca_certificate_uuid: ca.uuid });
      }
      return created;
    });
    onJitp?.(device, ca);
    return { ok: true, device, created: true };
  }

  function findAnyProduct(identifier: string): Device | undefined {
    for (const product of store.products.list()) {
      const d = store.devices.getByIdentifier(product.uuid, identifier);
      if (d) return d;
    }
    return undefined;
  }

  return { authenticate };
}
