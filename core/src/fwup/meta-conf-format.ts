// meta.conf in the compiled form `fwup -c` writes: attributes in fwup's option-table order, one
// per line, no indentation, empty sections dropped (except tasks), and strings quoted only when
// they hold more than letters, digits, "_" and ".".
import { encodeFunlist } from './funlist.js';
import { META_KEYS } from './meta-conf.js';
import type { FwupCall, FwupMeta, FwupMetadata, FwupResource, FwupTask, FwupUbootEnv } from './meta-types.js';

/** Attributes fwup computes when reading an archive, so it never writes them. */
const COMPUTED: ReadonlySet<keyof FwupMetadata> = new Set(['creationDate', 'uuid', 'nickname']);

export function formatConfString(value: string): string {
  if (/^[A-Za-z0-9_.]+$/.test(value)) return value;
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function attribute(name: string, values: readonly string[]): string {
  const items = values.map(formatConfString);
  return items.length > 1 ? `${name}={${items.join(',')}}\n` : `${name}=${items[0] ?? ''}\n`;
}

function section(name: string, title: string | undefined, body: string, keepEmpty = false): string {
  if (body === '' && !keepEmpty) return '';
  return `${name}${title === undefined ? '' : ` "${title}"`} {\n${body}}\n`;
}

const funlist = (calls: readonly FwupCall[]): string => (calls.length === 0 ? '' : attribute('funlist', encodeFunlist(calls)));

function resource(r: FwupResource): string {
  const lengths = r.lengths.length === 1 && r.lengths[0] === 0 ? '' : attribute('length', r.lengths.map(String));
  const hash = r.blake2b256 === undefined ? '' : attribute('blake2b-256', [r.blake2b256]);
  return section('file-resource', r.name, lengths + hash);
}

function task(t: FwupTask): string {
  let body = t.requirements.length === 0 ? '' : attribute('reqlist', encodeFunlist(t.requirements));
  if (t.partition1Offset !== undefined) body += attribute('require-partition1-offset', [String(t.partition1Offset)]);
  body += section('on-init', undefined, funlist(t.onInit));
  body += section('on-finish', undefined, funlist(t.onFinish));
  body += section('on-error', undefined, funlist(t.onError));
  for (const r of t.onResource) body += section('on-resource', r.resource, funlist(r.calls));
  return section('task', t.name, body, true);
}

function ubootEnv(e: FwupUbootEnv): string {
  let body = attribute('block-offset', [String(e.blockOffset)]) + attribute('block-count', [String(e.blockCount)]);
  if (e.blockOffsetRedund !== undefined) body += attribute('block-offset-redund', [String(e.blockOffsetRedund)]);
  return section('uboot-environment', e.name, body);
}

/** The meta.conf text fwup 1.16 would write for `meta` (byte-identical for the subset modelled here). */
export function formatMetaConf(meta: FwupMeta): string {
  let out = '';
  for (const [name, key] of META_KEYS) {
    const value = meta.metadata[key];
    if (value !== undefined && value !== '' && !COMPUTED.has(key)) out += attribute(name, [value]);
  }
  if (meta.requireFwupVersion !== undefined && meta.requireFwupVersion !== '0') out += attribute('require-fwup-version', [meta.requireFwupVersion]);
  out += meta.resources.map(resource).join('');
  out += meta.tasks.map(task).join('');
  out += meta.ubootEnvs.map(ubootEnv).join('');
  return out === '' ? '# Empty file\n' : out;
}
