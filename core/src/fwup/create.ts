// Building an fwup archive as `fwup -c` (and `-S` to sign) lays it out: meta.conf.ed25519 (stored),
// meta.conf (deflated, dated), then data/<resource> in the order given.
import { blake2b256Hex } from './blake2b.js';
import { checkCall } from './functions.js';
import { fwupError } from './fwup-error.js';
import { type FwupPrivateKey, parseFwupPrivateKey, signFwupMetaConf } from './keys.js';
import { formatMetaConf } from './meta-conf-format.js';
import { checkRequirement } from './requirements.js';
import { type FwupCall, type FwupMeta, type FwupMetadata, type FwupTask, type FwupUbootEnv, resourceArchivePath } from './meta-types.js';
import { encodeZip, type ZipFile } from './zip-write.js';

export interface FwupTaskInput {
  name: string;
  requirements?: FwupCall[];
  onInit?: FwupCall[];
  onFinish?: FwupCall[];
  onError?: FwupCall[];
  onResource?: Array<{ resource: string; calls: FwupCall[] }>;
}

export interface CreateFwupArchiveInput {
  meta: Pick<FwupMetadata, 'author' | 'description' | 'vcsIdentifier' | 'misc'> & {
    product: string;
    version: string;
    platform: string;
    architecture: string;
  };
  /** compression: 'deflate' (default, as fwup writes) or 'store' for data that would not shrink. */
  resources: Array<{ name: string; data: Uint8Array; compression?: 'store' | 'deflate' }>;
  envs?: FwupUbootEnv[];
  tasks: FwupTaskInput[];
  /** fwup-key.priv content (base64 of 64 bytes) or a parsed key; signs meta.conf. */
  signingKey?: string | Uint8Array | FwupPrivateKey;
  /** meta.conf's timestamp, which fwup reports as meta-creation-date; default now. */
  creationTime?: Date;
}

/** An fwup call from readable arguments: `fwupCall('raw_write', 4096)`. */
export function fwupCall(fn: string, ...args: Array<string | number>): FwupCall {
  return { fn, args: args.map(String) };
}

function checkResourceName(name: string, seen: Set<string>): void {
  const bad =
    name === '' ? "can't be empty"
    : name.endsWith('/') ? "can't end in a '/'"
    : name === '/' ? "can't be the root directory"
    : name === '/meta.conf' || name === '/meta.conf.ed25519' ? 'is reserved'
    : name === '/data' || name.startsWith('/data/') ? 'use a normal resource name rather than specifying /data'
    : seen.has(name) ? 'appears twice'
    : undefined;
  if (bad !== undefined) throw fwupError('usage', `resource ${JSON.stringify(name)}`, `resource name ${bad}`);
  seen.add(name);
}

function normalizeTask(t: FwupTaskInput): FwupTask {
  return {
    name: t.name,
    requirements: t.requirements ?? [],
    onInit: t.onInit ?? [],
    onFinish: t.onFinish ?? [],
    onError: t.onError ?? [],
    onResource: (t.onResource ?? []).map((r) => ({ resource: r.resource, calls: r.calls })),
  };
}

/** Rejects what fwup would refuse at creation time, and what vfleet's applier cannot apply. */
function checkTasks(meta: FwupMeta): void {
  const names = new Set<string>();
  for (const task of meta.tasks) {
    const where = `task ${JSON.stringify(task.name)}`;
    if (task.name === '' || names.has(task.name)) throw fwupError('usage', where, 'task names must be non-empty and unique');
    names.add(task.name);
    for (const req of task.requirements) checkRequirement(req, where, meta);
    for (const [event, calls] of [['on-init', task.onInit], ['on-finish', task.onFinish], ['on-error', task.onError]] as const) {
      for (const call of calls) checkCall(call, `${where} ${event}`, meta, false);
    }
    const used = new Set<string>();
    for (const section of task.onResource) {
      const at = `${where} on-resource ${JSON.stringify(section.resource)}`;
      if (!meta.resources.some((r) => r.name === section.resource)) throw fwupError('usage', at, 'no resource of that name is given');
      if (used.has(section.resource)) throw fwupError('usage', at, 'appears twice in the task');
      used.add(section.resource);
      for (const call of section.calls) checkCall(call, at, meta, true);
    }
  }
}

/** The FwupMeta that createFwupArchive writes as meta.conf for `input`. */
export function fwupMetaFor(input: CreateFwupArchiveInput): FwupMeta {
  const seen = new Set<string>();
  for (const r of input.resources) checkResourceName(r.name, seen);
  const meta: FwupMeta = {
    metadata: { ...input.meta },
    resources: input.resources.map((r) => ({ name: r.name, lengths: [r.data.length], blake2b256: blake2b256Hex(r.data) })),
    ubootEnvs: (input.envs ?? []).map((e) => ({ ...e })),
    tasks: input.tasks.map(normalizeTask),
  };
  checkTasks(meta);
  return meta;
}

/** A ZIP that fwup 1.16 accepts: meta.conf in fwup's compiled form, resources with lengths and BLAKE2b-256. */
export function createFwupArchive(input: CreateFwupArchiveInput): Buffer {
  const metaConf = Buffer.from(formatMetaConf(fwupMetaFor(input)), 'utf8');
  const epoch = new Date(0);
  const files: ZipFile[] = [];
  if (input.signingKey !== undefined) {
    const key = typeof input.signingKey === 'string' || input.signingKey instanceof Uint8Array ? parseFwupPrivateKey(input.signingKey, 'signingKey') : input.signingKey;
    files.push({ name: 'meta.conf.ed25519', data: signFwupMetaConf(metaConf, key), compression: 'store', mtime: epoch });
  }
  files.push({ name: 'meta.conf', data: metaConf, compression: 'deflate', mtime: input.creationTime ?? new Date() });
  for (const r of input.resources) files.push({ name: resourceArchivePath(r.name), data: r.data, compression: r.compression ?? 'deflate', mtime: epoch });
  return encodeZip(files);
}
