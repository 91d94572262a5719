import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isVfleetError } from '@vfleet/core';
import { until } from '../../test-support/device.js';
import { startEvkBackend } from '../../test-support/evk-backend.js';
import type { Backend } from '../../backend/server.js';
import { createHttpFetch, type FetchBinary } from '../../agent/update/download/fetch-binary.js';
import { createFleet } from '../orchestrator.js';
import { inprocDownloadSlots, readTcpMem } from './host-limits.js';
import { createInprocRuntime, inprocSlots } from './inproc.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-inproc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('inprocSlots', () => {
  it('takes the limit given, else VFLEET_INPROC_DOWNLOADS, else half the tcp_mem pressure ceiling; 0 is no limit', () => {
    expect(inprocSlots(3, { VFLEET_INPROC_DOWNLOADS: '9' })?.limit).toBe(3);
    expect(inprocSlots(undefined, { VFLEET_INPROC_DOWNLOADS: '9' })?.limit).toBe(9);
    expect(inprocSlots(0, {})).toBeUndefined();
    expect(inprocSlots(undefined, { VFLEET_INPROC_DOWNLOADS: '0' })).toBeUndefined();
    // this host's own tcp_mem
    expect(inprocSlots(undefined, {})?.limit).toBe(inprocDownloadSlots(readTcpMem()));
  });

  it('refuses a VFLEET_INPROC_DOWNLOADS that is not a whole number, naming it', () => {
    for (const bad of ['-1', '1.5', 'many', ' 4', '1e3']) {
      const err = (() => {
        try {
          return inprocSlots(undefined, { VFLEET_INPROC_DOWNLOADS: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(isVfleetError(err) && err.message).toMatch(/^VFLEET_INPROC_DOWNLOADS=.*: expected a whole number of downloads at once \(0 for no limit\)$/);
    }
  });
});

describe('inprocDownloadSlots', () => {
  it('is half of what the pressure threshold holds, never under 16, and no limit without tcp_mem', () => {
    // pressure 383868 pages = 1499 MiB: 499 downloads of 3 MiB, half of it 249
    expect(inprocDownloadSlots('287901 383868 575802')).toBe(249);
    expect(inprocDownloadSlots('10 20 30')).toBe(16);
    expect(inprocDownloadSlots(undefined)).toBeUndefined();
    expect(inprocDownloadSlots('garbage')).toBeUndefined();
  });
});

describe('the in-process runtime', () => {
  it('shares its download slots among all its devices: with one slot, the canaries take r1002 one download at a time', async () => {
    const devicesDir = join(root, 'devices');
    let backend: Backend | undefined;
    let fleet: Awaited<ReturnType<typeof createFleet>> | undefined;
    try {
      const evk = await startEvkBackend(join(root, 'home'), devicesDir, {}, (b) => (backend = b));
      const { admin, ids } = evk;
      // each GET's answer is held back a while, so downloads that may overlap do
      const http = createHttpFetch();
      let now = 0;
      let most = 0;
      let gets = 0;
      const counting: FetchBinary = async (request) => {
        gets++;
        most = Math.max(most, ++now);
        await sleep(150);
        const res = await http(request);
        const body = res.body;
        let done = false;
        const end = (): void => {
          if (!done) now--;
          done = true;
        };
        return {
          ...res,
          body: (async function* () {
            try {
              yield* body;
            } finally {
              end();
            }
          })(),
          close: () => {
            end();
            res.close();
          },
        };
      };
      const runtime = createInprocRuntime({ downloads: 1, agent: { updater: { fetchBinary: counting } } });
      fleet = await createFleet({ runtime, devicesDir, ids, rebootDelayMs: 200 });
      const { store, socket } = evk.backend;
      const productUuid = store.products.getByName('edge-inference')?.uuid ?? '';
      const device = (id: string) => store.devices.getByIdentifier(productUuid, id);
      await until(() => ids.every((id) => device(id)?.reported_version === '1.1.0' && socket.isOnline(device(id)?.uuid ?? '')), 60_000);
      const releases = Object.values(await admin.call('GET', '/api/v1/releases'))[0] as Array<{ uuid: string; name: string }>;
      // the fleet shows a device waiting for the slot as queued, not as a download making no progress
      const queued = new Set<string>();
      const seen = fleet.subscribe((e) => {
        if (e.kind === 'queued') queued.add(e.id);
      });
      await admin.call('PATCH', `/api/v1/releases/${releases.find((r) => r.name === 'release-r1002')?.uuid ?? ''}`, { disabled: false });
      await until(() => ['EI-ML-0001', 'EI-ML-0002'].every((id) => device(id)?.reported_version === '2.0.0'), 60_000);
      seen();
      expect(queued.size).toBeGreaterThan(0);
      // service and model for each canary, never two at once
      expect([gets, most]).toEqual([4, 1]);
      expect((await fleet.logs('EI-ML-0001')).concat(await fleet.logs('EI-ML-0002')).some((l) => l.includes('Waiting for a download slot (1 at once in this process'))).toBe(true);
    } finally {
      await fleet?.close();
      await backend?.close();
    }
  }, 120_000);
});
