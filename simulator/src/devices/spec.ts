import { VfleetError } from '@vfleet/core/errors';
import type { Product } from '../product/product.js';

/** What distinguishes one generated device from another. */
export interface DeviceSpec {
  id: string;
  cohort: string;
  tags: string[];
  target: string;
}

/** The sidecar `vfleet.json` in each device directory: what the EVK keeps in Peridio's cloud. */
export interface DeviceMeta extends DeviceSpec {
  generator: 'vfleet';
  env: EnvMode;
  diskBytes: number;
  createdAt: string;
}

export type EnvMode = 'file' | 'disk';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Whether `id` is a device id vfleet would make (see checkDeviceId). */
export const isDeviceId = (id: unknown): id is string => typeof id === 'string' && ID_PATTERN.test(id);

/** Device ids double as directory names and certificate CNs, so they are kept to a safe alphabet. */
export function checkDeviceId(id: string, where: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new VfleetError('VFLEET_USAGE', `${where}: device id ${JSON.stringify(id)} must match ${ID_PATTERN.source}`);
  }
  return id;
}

const TARGET_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/** Whether `target` is a target vfleet would write (see checkTarget). */
export const isTarget = (target: unknown): target is string => typeof target === 'string' && TARGET_PATTERN.test(target);

/**
 * A device's binary target (peridio.json `targets`, the boot header's architecture): a name such as
 * `arm64-v8` or `arm-ethos-u65`. Peridio stores any string; generated devices keep to a safe alphabet
 * so a target never carries spaces, separators or control characters into files and headers.
 */
export function checkTarget(target: string, where: string): string {
  if (!TARGET_PATTERN.test(target)) {
    throw new VfleetError('VFLEET_USAGE', `${where}: target ${JSON.stringify(target)} must match ${TARGET_PATTERN.source} (e.g. arm64-v8)`);
  }
  return target;
}

const MAX_TAGS = 100;
const MAX_TAG_CHARS = 128;

/**
 * A device's tags (Peridio device tags, phased rollouts select on them): at most 100, each 1 to 128
 * printable characters without a comma (tag lists are written comma-separated).
 */
export function checkTags(tags: readonly string[], where: string): readonly string[] {
  if (tags.length > MAX_TAGS) throw new VfleetError('VFLEET_USAGE', `${where}: ${tags.length} tags, at most ${MAX_TAGS} accepted`);
  for (const tag of tags) {
    // eslint-disable-next-line no-control-regex
    if (typeof tag !== 'string' || tag === '' || tag.length > MAX_TAG_CHARS || /[\u0000-\u001f\u007f,]/.test(tag)) {
      const shown = JSON.stringify(typeof tag === 'string' && tag.length > 40 ? `${tag.slice(0, 40)}…` : tag);
      throw new VfleetError('VFLEET_USAGE', `${where}: tag ${shown} must be 1 to ${MAX_TAG_CHARS} printable characters without a comma`);
    }
  }
  return tags;
}

/** `EI-ML` + 1 → `EI-ML-0001` (at least four digits, more when needed). */
export function deviceIds(prefix: string, start: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => checkDeviceId(`${prefix}-${String(start + i).padStart(4, '0')}`, '--prefix'));
}

/** The EVK's six devices (ids, tags, targets) from the product definition. */
export function evkSpecs(product: Product): DeviceSpec[] {
  return product.devices.map((d) => ({ id: d.id, cohort: product.deviceCohort, tags: [...d.tags], target: d.target }));
}
