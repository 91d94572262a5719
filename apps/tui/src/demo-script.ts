import type { DeviceStatus, FleetHandle } from '@vfleet/simulator';
import type { FleetSnapshot } from './store/fleet-store.js';
import type { ReleasesApi } from './releases-api.js';

export interface DemoStep {
  title: string;
  /** The one line of narration shown while the step runs. */
  narration: string;
  /** Does the step's action; resolves with what to tell the user. */
  run(): Promise<string>;
  /** True once the fleet shows the step's outcome (auto mode then moves on). */
  done(snapshot: FleetSnapshot): boolean;
}

export interface DemoScript {
  intro: string;
  steps: DemoStep[];
  /** Advance by itself once a step is done (`--auto`), instead of on `n`. */
  auto: boolean;
  /** Pause before an automatic step, so the audience sees the last one land (default 2000 ms). */
  pauseMs?: number;
}

export interface EvkDemoOptions {
  fleet: FleetHandle;
  releases: ReleasesApi;
  /** Name of the release the story rolls out (EVK: release-r1002). */
  releaseName: string;
  targetVersion: string;
  /** The device the story reboots (EVK: EI-ML-0003). */
  rebootId: string;
  /** Opens a tunnel to a device's port; absent when tunnels are not available. */
  tunnel?: (id: string, port: number) => Promise<string>;
  auto?: boolean;
}

/**
 * May the step after `index` (-1: none ran yet) start by itself: the first once every device is
 * online, each later one once the fleet shows the previous step's outcome.
 */
export function nextStepReady(script: DemoScript, index: number, snapshot: FleetSnapshot): boolean {
  if (index < 0) return snapshot.loaded && snapshot.devices.length > 0 && snapshot.devices.every((d) => d.phase === 'online');
  return script.steps[index]?.done(snapshot) ?? false;
}

const onVersion = (devices: DeviceStatus[], version: string) => devices.filter((d) => d.version === version && d.phase === 'online');

/** The EVK story for sales engineers: canaries, half of the rest, a reboot, a tunnel. */
export function evkDemoScript(opts: EvkDemoOptions): DemoScript {
  const { fleet, releases, targetVersion: v } = opts;
  const release = async () => {
    const r = (await releases.list()).find((x) => x.name === opts.releaseName);
    if (!r) throw new Error(`release ${opts.releaseName} is not in the backend`);
    return r;
  };
  const canaries = (s: FleetSnapshot) => s.devices.filter((d) => d.tags?.includes('canary'));
  const rest = (s: FleetSnapshot) => s.devices.filter((d) => !d.tags?.includes('canary'));
  let bootsBefore: number | undefined;
  return {
    auto: opts.auto ?? false,
    intro: `Six EVK devices run ${'1.1.0'}; ${opts.releaseName} (${v}) waits, disabled, for the canaries.`,
    steps: [
      {
        title: `enable ${opts.releaseName}`,
        narration: `${opts.releaseName} is enabled for the canary tag: the two canaries download, install and report ${v}.`,
        async run() {
          await releases.setDisabled((await release()).uuid, false);
          return `${opts.releaseName} enabled`;
        },
        done: (s) => canaries(s).length > 0 && onVersion(canaries(s), v).length === canaries(s).length,
      },
      {
        title: 'phase to 50%',
        narration: `The phase moves from the canary tag to 50% of the cohort: about half of the other devices follow to ${v}.`,
        async run() {
          await releases.setPhaseValue((await release()).uuid, 0.5);
          return `${opts.releaseName} phased to 50%`;
        },
        // the hash-ordered half may hold any number of the rest: done once nobody is mid-update
        done: (s) => rest(s).every((d) => d.phase === 'online' || d.phase === 'offline') && s.history.length > 0,
      },
      {
        title: `reboot ${opts.rebootId}`,
        narration: `${opts.rebootId} reboots: the agent exits, the board boots its slot again and the device is back online.`,
        async run() {
          bootsBefore = (await fleet.devices()).find((d) => d.id === opts.rebootId)?.boots;
          await fleet.reboot({ ids: [opts.rebootId] });
          return `reboot sent to ${opts.rebootId}`;
        },
        done: (s) => {
          const d = s.devices.find((x) => x.id === opts.rebootId);
          return d !== undefined && bootsBefore !== undefined && d.boots > bootsBefore && d.phase === 'online';
        },
      },
      {
        title: 'open a tunnel',
        narration: opts.tunnel
          ? `A remote access tunnel to port 22 of ${opts.rebootId}: WireGuard to the device, a local port forwarded to it.`
          : 'Remote access tunnels are not available in this build: this step only shows where they go.',
        async run() {
          if (!opts.tunnel) return 'tunnels: not available';
          return opts.tunnel(opts.rebootId, 22);
        },
        done: () => true,
      },
    ],
  };
}
