// The backend stopping while a tunnel is coming up: nothing of it may outlive the backend.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { wgKeyPair } from '../../agent/tunnel/index.js';
import { createTunnelPlane, serverPlaneMissing } from './tunnel-plane.js';

const missing = serverPlaneMissing();
if (missing !== undefined && process.env['CI'] === 'true') throw new Error(`tunnel plane test cannot run in CI: ${missing}`);

/** wireguard-go processes serving this plane's socket directory. */
const peers = (socketDir: string): string[] => {
  try {
    return execFileSync('pgrep', ['-af', 'wireguard-go'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(socketDir));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
};

/** Whether process `pid` still runs (wireguard-go runs as the pid the plane reports). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(missing !== undefined)('tunnel data plane shutdown', () => {
  it('closeAll during an open undoes that tunnel (no wireguard-go left) and refuses later opens', async () => {
    const socketDir = `/tmp/vft-plane-${process.pid}`;
    const plane = createTunnelPlane({ socketDir });
    const spec = { uuid: randomUUID(), serverIp: '198.19.250.1', deviceIp: '198.19.250.2', devicePublicKey: wgKeyPair().publicKey, dport: 22 };
    const opening = plane.open(spec);
    const outcome = opening.then(() => 'opened', (e: Error) => e.message);
    await plane.closeAll();
    expect(await outcome).toBe('tunnel data plane closed while the tunnel was opening');
    expect(plane.list()).toEqual([]);
    expect(peers(socketDir)).toEqual([]);
    await expect(plane.open({ ...spec, uuid: randomUUID() })).rejects.toThrow('tunnel data plane closed');
  }, 30_000);

  it('loses no interface when opens and closes of one tunnel overlap', async () => {
    const plane = createTunnelPlane({ socketDir: `/tmp/vft-plane-race-${process.pid}` });
    const spec = { uuid: randomUUID(), serverIp: '198.19.251.1', deviceIp: '198.19.251.2', devicePublicKey: wgKeyPair().publicKey, dport: 22 };
    try {
      // the later open replaces the earlier one, whose wireguard-go is stopped rather than forgotten
      const [earlier, later] = await Promise.all([plane.open({ ...spec }), plane.open({ ...spec })]);
      expect(plane.list()).toEqual([later]);
      expect([alive(earlier.pid), alive(later.pid)]).toEqual([false, true]);
      // a close while an open is under way waits for it and closes what it opened
      const opening = plane.open({ ...spec });
      await plane.close(spec.uuid);
      const closed = await opening;
      expect(plane.list()).toEqual([]);
      expect([alive(later.pid), alive(closed.pid)]).toEqual([false, false]);
    } finally {
      await plane.closeAll();
    }
  }, 30_000);
});
