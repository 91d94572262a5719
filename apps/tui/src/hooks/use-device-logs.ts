import { useEffect, useState } from 'react';
import type { FleetHandle } from '@vfleet/simulator';
import type { FleetStore } from '../store/fleet-store.js';
import { shorten } from '../format.js';

const KEEP = 2000;

export interface DeviceLogs {
  lines: string[];
  error?: string;
  /** How many lines the feed ever added to the end (a view scrolled up stays on what it shows). */
  appended: number;
}

/** The last lines of one device, followed: history from `fleet.logs`, new lines from the store's batches. */
export function useDeviceLogs(fleet: FleetHandle, store: FleetStore, id: string | undefined): DeviceLogs {
  const [state, setState] = useState<DeviceLogs>({ lines: [], appended: 0 });
  useEffect(() => {
    if (id === undefined) return undefined;
    let live = true;
    let seenLive: string[] = [];
    setState({ lines: [], appended: 0 });
    const unwatch = store.watch(id, (events) => {
      // lines are kept cut to what a terminal shows: 2000 lines of 1 MB each held 2 GB
      const added = events.map((e) => e.line).filter((l): l is string => l !== undefined).map((l) => shorten(l));
      if (added.length === 0) return;
      seenLive = seenLive.concat(added).slice(-KEEP);
      setState((s) => ({ ...s, lines: s.lines.concat(added).slice(-KEEP), appended: s.appended + added.length }));
    });
    fleet.logs(id, { limit: 500 }).then(
      (history) => {
        // lines that arrived while history was on its way are both in `history` and `seenLive`
        if (live) setState((s) => ({ lines: mergeTail(history.map((l) => shorten(l)), seenLive).slice(-KEEP), appended: s.appended }));
      },
      (e: unknown) => {
        if (live) setState((s) => ({ ...s, error: `logs of ${id}: ${(e as Error).message}` }));
      },
    );
    return () => {
      live = false;
      unwatch();
    };
  }, [fleet, store, id]);
  return state;
}

/** `history` followed by the part of `live` it does not already end with. */
export function mergeTail(history: string[], live: string[]): string[] {
  for (let k = Math.min(history.length, live.length); k > 0; k--) {
    let same = true;
    for (let i = 0; i < k && same; i++) same = history[history.length - k + i] === live[i];
    if (same) return history.concat(live.slice(k));
  }
  return history.concat(live);
}
