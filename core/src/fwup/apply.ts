// Applying a task the way `fwup -a` does, except that the whole task first runs against a
// PlannedImage: signature, resource hashes, task guards, image bounds and env reads are all
// checked, and error() calls raised, before the first byte reaches the target.
import { type DecodeFwupOptions, decodeFwupArchive, type FwupArchive, openFwupArchiveFile, type OpenFwupArchiveOptions } from './archive.js';
import type { ApplyContext, ExecutePolicy } from './apply-context.js';
import { runCalls } from './functions.js';
import { fwupError } from './fwup-error.js';
import { type ImageTarget, openImageFile } from './image-target.js';
import type { FwupResource, FwupTask } from './meta-types.js';
import { PlannedImage, type PlannedStep, type TrimMode } from './planned-image.js';
import { checkedResourceData, resourceEntryWhere } from './resource-check.js';
import { selectFwupTask } from './select-task.js';
import { METHOD_STORE } from './zip-layout.js';
import type { ResourceBytes } from './zip-source.js';

/** Bytes per write of a resource read from the archive file (as `dd bs=1M`). */
const WRITE_CHUNK = 1024 * 1024;

export interface FwupTaskOptions {
  /** Task name prefix, as fwup's -t. */
  task: string;
  /** fwup's --unsafe: allow `execute` and `require-execute` (needs `runCommand`). */
  allowExecute?: boolean;
  /** Runs a shell command, returning its exit status. */
  runCommand?: (command: string) => number;
  /** What trim() does to a regular file; default 'skip' (as fwup: nothing written). */
  trim?: TrimMode;
}

export type FwupApplyOptions = FwupTaskOptions & DecodeFwupOptions;

/** applyFwupArchiveToFile's options: also deflated entries already inflated into files. */
export type FwupFileApplyOptions = FwupApplyOptions & Pick<OpenFwupArchiveOptions, 'inflated'>;

export interface FwupWrite {
  offset: number;
  length: number;
}

export interface FwupApplyResult {
  /** The task that ran (e.g. "upgrade.b" for -t upgrade). */
  task: string;
  /** info() messages in order. */
  messages: string[];
  /** Byte ranges written to the target, in order. */
  writes: FwupWrite[];
}

export interface FwupPlan {
  task: FwupTask;
  messages: string[];
  steps: PlannedStep[];
}

function policyOf(options: FwupTaskOptions): ExecutePolicy {
  const policy: ExecutePolicy = { allowExecute: options.allowExecute ?? false };
  if (options.runCommand !== undefined) policy.runCommand = options.runCommand;
  return policy;
}

/** Resource bytes the task's on-resource sections use, each checked against meta.conf. */
function taskResources(archive: FwupArchive, task: FwupTask, image: PlannedImage, where: string): Map<string, { resource: FwupResource; data: ResourceBytes }> {
  const out = new Map<string, { resource: FwupResource; data: ResourceBytes }>();
  // deflated resources (unless inflated into files beforehand) are inflated into memory: at most
  // twice the image in all (every byte of a resource goes into the image), checked on the declared
  // sizes before anything is inflated
  let inflated = 0;
  for (const section of task.onResource) {
    const resource = archive.meta.resources.find((r) => r.name === section.resource);
    if (resource === undefined) throw fwupError('archive', where, `Resource '${section.resource}' used, but metadata is missing. Archive is corrupt.`);
    if (section.delta === true) throw fwupError('archive', where, `on-resource ${JSON.stringify(section.resource)} is an xdelta3 patch (delta-source-*), which vfleet does not apply`);
    const entry = archive.resources.find((e) => e.resource === section.resource);
    if (entry === undefined) throw fwupError('archive', where, `Resource ${section.resource} not found in archive`);
    if (entry.zip.method !== METHOD_STORE && entry.inflated === undefined) {
      inflated += entry.zip.size;
      if (inflated > 2 * image.size) {
        throw fwupError('image', resourceEntryWhere(archive, entry), `image too small: the task's deflated resources come to ${inflated} bytes (this one ${entry.zip.size}), more than twice the ${image.size}-byte image`);
      }
    }
    out.set(section.resource, { resource, data: checkedResourceData(archive, entry, resource) });
  }
  return out;
}

/** Runs the selected task against a dry-run image; throws, having written nothing, on any problem. */
export function planFwupApply(archive: FwupArchive, target: ImageTarget, options: FwupTaskOptions): FwupPlan {
  const policy = policyOf(options);
  const trimMode = options.trim ?? 'skip';
  const image = new PlannedImage(target, trimMode);
  const task = selectFwupTask(archive.meta, options.task, image, policy, archive.source);
  const where = `${archive.source}: task ${JSON.stringify(task.name)}`;
  const resources = taskResources(archive, task, image, where);
  const ctx: ApplyContext = { ...policy, meta: archive.meta, image, trimMode, messages: [], where: `${where} on-init` };
  runCalls(ctx, task.onInit);
  for (const entry of archive.resources) {
    const section = task.onResource.find((r) => r.resource === entry.resource);
    const used = resources.get(entry.resource);
    if (section === undefined || used === undefined) continue;
    ctx.where = `${where} on-resource ${JSON.stringify(entry.resource)}`;
    ctx.current = { ...used, consumed: false };
    runCalls(ctx, section.calls);
    delete ctx.current;
  }
  ctx.where = `${where} on-finish`;
  runCalls(ctx, task.onFinish);
  return { task, messages: ctx.messages, steps: image.steps };
}

/** Writes bytes in memory as they are, and a range of the archive file in 1 MiB reads and writes. */
function writeBytes(target: ImageTarget, offset: number, data: ResourceBytes): void {
  if (Buffer.isBuffer(data)) {
    target.write(offset, data);
    return;
  }
  const chunk = Buffer.allocUnsafe(Math.min(WRITE_CHUNK, data.length));
  for (let pos = 0; pos < data.length; pos += chunk.length) {
    const n = data.copy(chunk, 0, pos, Math.min(pos + chunk.length, data.length));
    target.write(offset + pos, n === chunk.length ? chunk : chunk.subarray(0, n));
  }
}

/** Performs a plan's writes (and allowed commands) in order, then syncs the target. */
export function commitFwupPlan(plan: FwupPlan, target: ImageTarget, options: Pick<FwupTaskOptions, 'runCommand'> = {}): FwupApplyResult {
  const writes: FwupWrite[] = [];
  for (const step of plan.steps) {
    if (step.kind === 'write') {
      writeBytes(target, step.offset, step.data);
      writes.push({ offset: step.offset, length: step.data.length });
    } else {
      const status = options.runCommand?.(step.command);
      if (status !== 0) throw fwupError('task', step.what, `'${step.command}' failed with exit status ${String(status)}`);
    }
  }
  target.sync?.();
  return { task: plan.task.name, messages: plan.messages, writes };
}

/** Decodes, verifies and applies an archive to `target`, like `fwup -a -i FILE -d TARGET -t TASK`. */
export function applyFwupArchive(archive: Buffer, target: ImageTarget, options: FwupApplyOptions): FwupApplyResult {
  const decoded = decodeFwupArchive(archive, options);
  return commitFwupPlan(planFwupApply(decoded, target, options), target, options);
}

/**
 * applyFwupArchive from an archive file onto an existing regular image file (never a device). The
 * archive is read by range: stored resources (and deflated ones given in `inflated`) are hashed in
 * one chunked pass, then written from their file, so memory stays flat whatever the image size.
 * Other deflated resources are inflated into memory. The archive file must not change during the
 * apply (the installer's private copy); its size and mtime are checked again before the writes.
 */
export function applyFwupArchiveToFile(archiveFile: string, imageFile: string, options: FwupFileApplyOptions): FwupApplyResult {
  const archive = openFwupArchiveFile(archiveFile, options);
  try {
    const image = openImageFile(imageFile);
    try {
      const plan = planFwupApply(archive, image, options);
      archive.checkUnchanged();
      return commitFwupPlan(plan, image, options);
    } finally {
      image.close();
    }
  } finally {
    archive.close();
  }
}
