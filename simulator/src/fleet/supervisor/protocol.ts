import type { DeviceEvent, DeviceSelector, FleetHandle, RuntimeName } from '../types.js';

/** What the supervisor says about itself (`info`). */
export interface SupervisorInfo {
  pid: number;
  home: string;
  devicesDir: string;
  runtime: RuntimeName;
  socket: string;
  startedAt: string;
  backend?: FleetHandle['backend'];
  /** Device API the agents talk to (embedded or external). */
  deviceApi?: string;
}

/** Control-socket requests: one JSON object per line. */
export type Request =
  | { id: number; method: 'info' | 'devices' | 'summary' | 'subscribe' | 'unsubscribe' | 'shutdown' }
  | { id: number; method: 'logs'; params: { id: string; limit?: number } }
  | { id: number; method: 'add'; params: { count: number; cohort?: string; tags?: string[] } }
  | { id: number; method: 'start' | 'stop' | 'reboot' | 'kill' | 'remove'; params: DeviceSelector };

export type Method = Request['method'];

export type Response = { id: number; ok: true; result: unknown } | { id: number | null; ok: false; error: { code: string; message: string } };

/** Pushed to subscribed clients. */
export interface EventMessage {
  event: DeviceEvent;
}

export const MAX_LINE = 1024 * 1024;
