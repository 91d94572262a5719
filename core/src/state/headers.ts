import type { KvMap } from './lifecycle.js';

export interface StateHeaders {
  'peridio-release-prn'?: string;
  'peridio-release-version'?: string;
  'peridio-bundle-prn'?: string;
}

/** The active slot letter: peridio_active, else nerves_fw_active, else "" (an empty value does not fall back). */
export function activeSlot(kv: KvMap): string {
  return kv.get('peridio_active') ?? kv.get('nerves_fw_active') ?? '';
}

function getActive(kv: KvMap, name: string): string | undefined {
  return kv.get(`${activeSlot(kv)}.${name}`);
}

/**
 * The device-state headers peridiod sends on every REST call (protocol §4.2). Fallbacks apply
 * only when a key is absent, not when it is "" (as peridiod's Cloud.init does).
 */
export function stateHeaders(kv: KvMap): StateHeaders {
  const headers: StateHeaders = {};
  const via = kv.has('peridio_via_current') ? kv.get('peridio_via_current') : kv.get('peridio_rel_current');
  if (via !== undefined && via.includes('release')) headers['peridio-release-prn'] = via;
  const version = kv.has('peridio_vsn_current') ? kv.get('peridio_vsn_current') : getActive(kv, 'peridio_version');
  if (version) headers['peridio-release-version'] = version;
  const bundle = kv.get('peridio_bun_current');
  if (bundle) headers['peridio-bundle-prn'] = bundle;
  return headers;
}

/**
 * WebSocket join params from the KV (protocol §4.5): every `<active>.*` key with the prefix
 * stripped, plus `nerves_fw_uuid` = active peridio_uuid, else active nerves_fw_uuid, else null.
 */
export function activeSlotParams(kv: KvMap): Record<string, string | null> {
  const prefix = `${activeSlot(kv)}.`;
  const params: Record<string, string | null> = {};
  for (const [k, v] of kv) if (k.startsWith(prefix)) params[k.slice(prefix.length)] = v;
  params['nerves_fw_uuid'] = getActive(kv, 'peridio_uuid') ?? getActive(kv, 'nerves_fw_uuid') ?? null;
  return params;
}
