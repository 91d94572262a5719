// Test fixture: a workspace, the embedded backend seeded with the EVK product, and the EVK's six
// device directories pointed at it.
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from '../devices/generate.js';
import { evkSpecs } from '../devices/spec.js';
import { loadProduct, type Product } from '../product/product.js';
import { startBackend, type Backend, type BackendOptions } from '../backend/server.js';
import { createAdminClient, type AdminClient } from '../backend/admin-client.js';
import { seedEvk } from '../backend/evk-seed.js';

export interface EvkBackend {
  backend: Backend;
  admin: AdminClient;
  product: Product;
  /** The EVK devices' ids, in the product's order. */
  ids: string[];
}

/** Binaries at 1/4096 of their size. The backend is closed by the caller, also when this throws after starting it. */
export async function startEvkBackend(home: string, devicesDir: string, backend: Partial<Omit<BackendOptions, 'home'>> = {}, started?: (b: Backend) => void): Promise<EvkBackend> {
  initWorkspace({ home });
  const server = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0, ...backend });
  started?.(server);
  const admin = createAdminClient(server.admin.url, server.adminToken);
  await seedEvk({ home, client: admin, sizeScale: 1 / 4096 });
  const product = loadProduct();
  await generateDevices({
    home, out: devicesDir, cohort: product.deviceCohort, env: 'file', diskBytes: 0, force: false, specs: evkSpecs(product),
    deviceApi: server.deviceApiUrl, deviceApiCa: server.deviceApiCaPath,
  });
  return { backend: server, admin, product, ids: product.devices.map((d) => d.id) };
}
