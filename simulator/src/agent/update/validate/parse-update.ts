import { formatVersion, parsePrn, parseRequirement, parseVersion } from '@vfleet/core';
import type { UpdateResponse, UpdateVia } from '../model.js';
import { at, bodyError, describeValue, isObject, object, optionalString, string } from './fields.js';
import { parseBinary } from './parse-binary.js';

function parseRelease(value: unknown): UpdateVia {
  const o = object(value, '$.release');
  const prn = string(o['prn'], '$.release.prn');
  at('$.release.prn', (where) => parsePrn(prn, where, 'release'));
  const versionText = optionalString(o['version'], '$.release.version');
  const version = versionText === null ? null : formatVersion(at('$.release.version', (where) => parseVersion(versionText, where)));
  // An empty requirement is not null: Elixir's parse_requirement! raises on "" and so do we.
  const requirement = optionalString(o['version_requirement'], '$.release.version_requirement');
  if (requirement !== null) at('$.release.version_requirement', (where) => parseRequirement(requirement, where));
  return { kind: 'release', prn, name: optionalString(o['name'], '$.release.name'), version, versionRequirement: requirement };
}

function parseOverride(value: unknown): UpdateVia {
  const o = object(value, '$.bundle_override');
  const prn = string(o['prn'], '$.bundle_override.prn');
  at('$.bundle_override.prn', (where) => parsePrn(prn, where, 'bundle_override'));
  return { kind: 'bundle_override', prn };
}

/**
 * Reads a `GET /update` answer (protocol §4.4) once, at the boundary. Throws a VfleetError naming
 * the JSON path of the first problem for an `update` body that peridiod's parser would crash on;
 * peridiod's poller then crashes and restarts, we log and wait for the next poll instead.
 */
export function parseUpdateResponse(status: number, body: unknown): UpdateResponse {
  if (status !== 200 || !isObject(body)) return { kind: 'unrecognised' };
  if (body['status'] === 'no_update') return { kind: 'no_update' };
  if (body['status'] === 'device_quarantined') return { kind: 'device_quarantined' };
  if (body['status'] !== 'update') return { kind: 'unrecognised' };
  let via: UpdateVia;
  if (body['source_type'] === 'release') via = parseRelease(body['release']);
  else if (body['source_type'] === 'bundle_override') via = parseOverride(body['bundle_override']);
  else return { kind: 'unrecognised' };
  const bundle = object(body['bundle'], '$.bundle');
  const bundlePrn = string(bundle['prn'], '$.bundle.prn');
  at('$.bundle.prn', (where) => parsePrn(bundlePrn, where, 'bundle'));
  const manifest = body['manifest'];
  if (!Array.isArray(manifest)) throw bodyError('$.manifest', `expected an array, found ${describeValue(manifest)}`);
  const binaries = manifest.map((item, i) => parseBinary(item, i));
  const seen = new Map<string, number>();
  for (const b of binaries) {
    const first = seen.get(b.uuid);
    if (first !== undefined) throw bodyError(`$.manifest[${b.index}].binary_prn`, `binary ${b.uuid} is already listed at $.manifest[${first}]`);
    seen.set(b.uuid, b.index);
  }
  return { kind: 'update', offer: { via, bundlePrn, binaries } };
}
