import { afterAll, describe, expect, it } from 'vitest';
import { createConnection } from 'node:net';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVfleetError } from '@vfleet/core';
import { until } from '../../test-support/device.js';
import { openFleetDb } from '../observe/fleet-db.js';
import type { DeviceEvent } from '../types.js';
import { connectFleet } from './client.js';
import { supervisorPaths, usedRuntimes } from './paths.js';
import { downFleet } from './down.js';
import { startSupervisor, type Supervisor } from './run.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-sup-'));
const home = join(root, 'home');
let supervisor: Supervisor | undefined;
afterAll(async () => {
  await supervisor?.stop();
  rmSync(root, { recursive: true, force: true });
});

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

/** One raw exchange on the control socket. */
function raw(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('\n')) {
        s.end();
        resolve(got.trim());
      }
    });
    s.on('error', reject);
    s.write(text);
  });
}

describe('supervisor and control-socket client', () => {
  it('serves ps/logs/reboot/stop over the socket, refuses bad input, and stops on request', async () => {
    supervisor = await startSupervisor({
      home, devicesDir: join(root, 'devices'), runtime: 'inproc', count: 3, sizeScale: 1 / 4096, rebootDelayMs: 20,
      ports: { device: 0, admin: 0, binary: 0 }, diskBytes: 0,
    });
    expect(supervisor.preflight).toMatchObject({ runtime: 'inproc', ok: true });
    const paths = supervisorPaths(home);
    expect(existsSync(paths.record)).toBe(true);
    expect(statSync(paths.record).mode & 0o777).toBe(0o600); // it holds the admin token

    const fleet = await connectFleet(home);
    expect(fleet.runtime).toBe('inproc');
    expect(fleet.info.pid).toBe(process.pid);
    expect(fleet.backend?.deviceApiUrl).toMatch(/^vfleet-backend:\d+$/);
    const ids = (await fleet.devices()).map((d) => d.id);
    expect(ids).toEqual(['EI-ML-0001', 'EI-ML-0002', 'EI-ML-0003']);
    let online = 0;
    await until(() => {
      void fleet.summary().then((s) => (online = s.byPhase.online ?? 0));
      return online === 3;
    }, 30_000);

    const events: DeviceEvent[] = [];
    const off = fleet.subscribe((e) => events.push(e));
    await new Promise((r) => setTimeout(r, 50)); // the subscription reaches the supervisor
    await fleet.reboot({ ids: ['EI-ML-0002'] });
    await until(() => events.some((e) => e.id === 'EI-ML-0002' && e.kind === 'connected'), 30_000);
    expect(events.filter((e) => e.id === 'EI-ML-0002').map((e) => e.kind)).toEqual(expect.arrayContaining(['rebooting', 'exited', 'started', 'connected']));
    expect((await fleet.devices()).find((d) => d.id === 'EI-ML-0002')).toMatchObject({ boots: 2, run: 'running' });
    off();
    expect((await fleet.logs('EI-ML-0002', { limit: 500 })).filter((l) => l.endsWith('[Cloud Socket] Joined Device channel'))).toHaveLength(2);

    // unknown devices and malformed requests get clear errors; the supervisor goes on
    const unknown = await errorOf(fleet.stop({ ids: ['EI-ML-0999'] }));
    expect(isVfleetError(unknown) && unknown.code).toBe('VFLEET_WORKSPACE');
    expect((unknown as Error).message).toMatch(/no device EI-ML-0999/);
    expect(JSON.parse(await raw(paths.socket, 'this is not json\n'))).toMatchObject({ id: null, ok: false, error: { message: /not a request/ } });
    expect(JSON.parse(await raw(paths.socket, '{"id":7,"method":"explode"}\n'))).toMatchObject({ id: 7, ok: false, error: { message: /unknown method "explode"/ } });
    expect(JSON.parse(await raw(paths.socket, '{"id":8,"method":"stop","params":{"ids":[1]}}\n'))).toMatchObject({ id: 8, ok: false, error: { message: /params must be/ } });
    expect(JSON.parse(await raw(paths.socket, '{"id":9,"method":"add","params":{"count":1,"tags":[1]}}\n'))).toMatchObject({ id: 9, ok: false, error: { message: /params.tags must be an array of strings/ } });
    expect(JSON.parse(await raw(paths.socket, '{"id":10,"method":"add","params":{"count":200000000}}\n'))).toMatchObject({ id: 10, ok: false, error: { message: /add: count 200000000 must be a whole number from 1 to 100000/ } });
    await fleet.stop({ ids: ['EI-ML-0003'] });
    expect((await fleet.devices()).map((d) => d.run)).toEqual(['running', 'running', 'stopped']);

    // one supervisor per home
    const second = await errorOf(startSupervisor({ home, devicesDir: join(root, 'devices'), runtime: 'inproc', count: 1, ports: { device: 0, admin: 0, binary: 0 } }));
    expect((second as Error).message).toMatch(/already runs/);

    await fleet.shutdown();
    await supervisor.stopped;
    expect(existsSync(paths.socket)).toBe(false);
    expect(existsSync(paths.record)).toBe(false);
    const gone = await errorOf(connectFleet(home));
    expect((gone as Error).message).toMatch(/no fleet supervisor answers on .*fleet\.sock.*vfleet up/);

    // down cleans up only after the runtimes this home used (nothing left here, nobody else's touched)
    expect(usedRuntimes(home)).toEqual(['inproc']);
    expect(await downFleet(home)).toEqual({ supervisor: 'none', removed: [], errors: [] });
    expect(usedRuntimes(home)).toEqual([]);

    // fleet.db kept the last statuses and the events
    const db = openFleetDb(paths.db);
    expect(db.devices().map((d) => [d.id, d.run])).toEqual([['EI-ML-0001', 'stopped'], ['EI-ML-0002', 'stopped'], ['EI-ML-0003', 'stopped']]);
    expect(db.events('EI-ML-0002', 1000).map((e) => e.kind)).toEqual(expect.arrayContaining(['started', 'connected', 'rebooting', 'exited']));
    db.close();
  }, 60_000);

  it('a fleet over a folder says which devices it leaves out because their vfleet.json is damaged', async () => {
    // the three devices the first test made; one of them damaged
    writeFileSync(join(root, 'devices', 'EI-ML-0002', 'vfleet.json'), '{"generator":');
    const said: string[] = [];
    supervisor = await startSupervisor({
      home, devicesDir: join(root, 'devices'), runtime: 'inproc', sizeScale: 1 / 4096, ports: { device: 0, admin: 0, binary: 0 }, say: (l) => said.push(l),
    });
    const fleet = await connectFleet(home);
    expect((await fleet.devices()).map((d) => d.id)).toEqual(['EI-ML-0001', 'EI-ML-0003']);
    expect(said.filter((l) => l.startsWith('not in the fleet'))).toEqual([
      `not in the fleet: ${join(root, 'devices', 'EI-ML-0002', 'vfleet.json')}: not valid JSON (Unexpected end of JSON input)`,
    ]);
    await fleet.shutdown();
    await supervisor.stopped;
  }, 60_000);
});
