import type { ExecutePolicy } from './apply-context.js';
import { fwupError } from './fwup-error.js';
import type { FwupMeta, FwupTask } from './meta-types.js';
import type { PlannedImage } from './planned-image.js';
import { taskApplicable } from './requirements.js';

/**
 * The first task, in meta.conf order, whose name starts with `prefix` and whose guards hold: fwup
 * matches a plain prefix, so `-t upgrade` considers upgrade.a, upgrade.b and upgrade.unexpected.
 */
export function selectFwupTask(meta: FwupMeta, prefix: string, image: PlannedImage, policy: ExecutePolicy, source: string): FwupTask {
  const rejected: string[] = [];
  for (const task of meta.tasks) {
    if (!task.name.startsWith(prefix)) continue;
    const verdict = taskApplicable(task, meta, image, policy);
    if (verdict.met) return task;
    rejected.push(`${task.name}: ${verdict.reason}`);
  }
  const detail =
    rejected.length > 0
      ? `requirements not met: ${rejected.join('; ')}`
      : `no task name starts with ${JSON.stringify(prefix)}; tasks: ${meta.tasks.map((t) => t.name).join(', ') || 'none'}`;
  throw fwupError(
    'task',
    source,
    `Couldn't find applicable task '${prefix}'. If task is available, the task's requirements may not be met. (${detail})`,
  );
}
