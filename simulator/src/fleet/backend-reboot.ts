import type { Backend } from '../backend/server.js';

/** Reboot through the embedded backend's device channel, as Peridio's console does (protocol §4.8). */
export function backendRebooter(backend: Backend, product: string): (id: string) => boolean {
  return (id) => {
    const productUuid = backend.store.products.getByName(product)?.uuid;
    const device = productUuid === undefined ? undefined : backend.store.devices.getByIdentifier(productUuid, id);
    return device !== undefined && backend.socket.push(device.uuid, 'device', 'reboot', {});
  };
}
