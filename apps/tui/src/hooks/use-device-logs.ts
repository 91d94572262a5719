import { useEffect, useState } from 'react';
import type { FleetHandle } from '@vfleet/simulator';
import type { FleetStore } from '../store/fleet-store.js';

const KEEP = 2000;

/** The last lines of one device, followed: history from `fleet.logs`, new lines from the store's batches. */
export function useDeviceLogs(fleet: FleetHandle, store: FleetStore, id: string | undefined): { lines: string[]; error?: string } {
  const [state, setState] = useState<{ lines: string[]; error?: string }>({ lines: [] });
  useEffect(() => {
    if (id === undefined) return undefined;
    let live = true;
    let seenLive: string[] = [];
    setState({ lines: [] });
    const unwatch = store.watch(id, (events) => {
      const added = events.map((e) => e.line).filter((l): l is string => l !== undefined);
      if (added.length === 0) return;
      seenLive = seenLive.concat(added).slice(-KEEP);
      setState((s) => ({ ...s, lines: s.lines.concat(added).slice(-KEEP) }));
    });
    fleet.logs(id, { limit: 500 }).then(
      (history) => {
        // lines that arrived while history was on its way are both in `history` and `seenLive`
        if (live) setState({ lines: mergeTail(history, seenLive).slice(-KEEP) });
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
