// Entry: the embedded backend in a process of its own for load runs (the agents get this
// process's event loop to themselves), driven by the runner over execa's IPC.
import { getEachMessage, sendMessage } from 'execa';
import { startBackend } from '../backend/server.js';
import { backendRebooter } from '../fleet/backend-reboot.js';
import { setFaults, type BackendRequest } from './backend-host.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as { home: string; publicHost: string; listenHosts: string[]; product: string };
const backend = await startBackend({
  home: opts.home,
  port: 0,
  adminPort: 0,
  binaryPort: 0,
  publicHost: opts.publicHost,
  listenHosts: opts.listenHosts,
  onError: (e) => void sendMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) }).catch(() => undefined),
});
const reboot = backendRebooter(backend, opts.product);
await sendMessage({
  type: 'ready',
  deviceApiUrl: backend.deviceApiUrl,
  deviceApiCaPath: backend.deviceApiCaPath,
  adminUrl: backend.admin.url,
  adminToken: backend.adminToken,
});
for await (const raw of getEachMessage()) {
  const m = raw as unknown as BackendRequest;
  if (m.type === 'fault') {
    setFaults(backend.faults, m.uuids, m.fault);
  } else if (m.type === 'reboot') {
    await sendMessage({ type: 'rebooted', seq: m.seq, ok: reboot(m.id) });
  } else if (m.type === 'close') {
    await backend.close();
    await sendMessage({ type: 'closed' });
    break;
  }
}
