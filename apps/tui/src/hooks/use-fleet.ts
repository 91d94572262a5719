import { useSyncExternalStore } from 'react';
import type { FleetSnapshot, FleetStore } from '../store/fleet-store.js';

/** The one subscription to the fleet: the store's batched snapshot, re-rendering at most once per refresh. */
export function useFleet(store: FleetStore): FleetSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
