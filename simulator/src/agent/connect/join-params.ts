import { activeSlotParams, type KvMap } from '@vfleet/core';

/** Join params for both topics (protocol §4.5); the device topic adds currently_downloading_uuid itself. */
export function socketJoinParams(kv: KvMap): Record<string, unknown> {
  return { ...activeSlotParams(kv), device_api_version: '1.0.0', console_version: '1.0.0' };
}
