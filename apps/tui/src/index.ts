export { App, type AppProps, type BinaryFaultSpec, type FaultInjector } from './App.js';
export { runTui, type RunTuiOptions } from './run.js';
export { createFleetStore, type FleetSnapshot, type FleetStore, type FleetStoreOptions, type RolloutSample } from './store/fleet-store.js';
export { filterDevices, sortDevices, type SortKey, type SortSpec } from './store/sort-filter.js';
export { createReleasesApi, parsePhaseValue, type ReleaseRow, type ReleasesApi, type ArtifactChoice } from './releases-api.js';
export { evkDemoScript, type DemoScript, type DemoStep, type EvkDemoOptions } from './demo-script.js';
export type { DeviceDetails } from './views/DeviceView.js';
export { layoutColumns, stateWord } from './views/columns.js';
