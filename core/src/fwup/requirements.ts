// Task guards as fwup evaluates them against the destination before anything is written.
import { isVfleetError } from '../errors.js';
import { type ExecutePolicy, callWhere, requireArgs, runPolicyCommand, unsignedArg } from './apply-context.js';
import { describeCall } from './funlist.js';
import { findEnv, readEnv } from './fwup-env.js';
import { fwupError } from './fwup-error.js';
import type { FwupCall, FwupMeta, FwupTask } from './meta-types.js';
import { BLOCK_SIZE, type PlannedImage } from './planned-image.js';

export type Verdict = { met: true } | { met: false; reason: string };

const MET: Verdict = { met: true };
const notMet = (reason: string): Verdict => ({ met: false, reason });

const UNSUPPORTED = new Set(['require-fat-file-exists', 'require-fat-file-match', 'require-path-on-device', 'require-path-at-offset']);

/** LBA start of MBR primary partition `index` (0..3), or a reason it cannot be read. */
function mbrPartitionStart(image: PlannedImage, index: number): number | string {
  if (!image.contains(0, BLOCK_SIZE)) return 'the image is smaller than one block, so it has no MBR';
  const mbr = image.read(0, BLOCK_SIZE, 'MBR');
  if (mbr[510] !== 0x55 || mbr[511] !== 0xaa) return 'MBR signature missing';
  return mbr.readUInt32LE(446 + index * 16 + 8);
}

function ubootVariable(call: FwupCall, where: string, meta: FwupMeta, image: PlannedImage): Verdict {
  requireArgs(call, where, 3, 'a uboot-environment reference, variable name, and value');
  const [envName, name, wanted] = call.args as [string, string, string];
  const env = findEnv(meta, envName, callWhere(where, call));
  try {
    const value = readEnv(image, env, callWhere(where, call)).vars.get(name);
    if (value === undefined) return notMet(`variable ${JSON.stringify(name)} not found in ${JSON.stringify(envName)}`);
    return value === wanted ? MET : notMet(`${name} is ${JSON.stringify(value)}, not ${JSON.stringify(wanted)}`);
  } catch (e) {
    // fwup treats an unreadable env (bad CRC, past the end) as the requirement not being met.
    if (isVfleetError(e)) return notMet(e.message);
    throw e;
  }
}

function partitionOffset(call: FwupCall, where: string, image: PlannedImage): Verdict {
  requireArgs(call, where, 2, 'a partition number and a block offset');
  const index = unsignedArg(call, where, 0, 'partition number');
  if (index > 3) throw fwupError('task', callWhere(where, call), 'require-partition-offset requires the partition number to be 0-3');
  const wanted = unsignedArg(call, where, 1, 'block offset');
  const start = mbrPartitionStart(image, index);
  if (typeof start === 'string') return notMet(start);
  return start === wanted ? MET : notMet(`MBR partition ${index} starts at block ${start}, not ${wanted}`);
}

/** Checks a guard's name and arguments without evaluating it (used when creating archives). */
export function checkRequirement(call: FwupCall, where: string, meta: FwupMeta): void {
  if (call.fn === 'require-uboot-variable') {
    requireArgs(call, where, 3, 'a uboot-environment reference, variable name, and value');
    findEnv(meta, call.args[0] as string, callWhere(where, call));
  } else if (call.fn === 'require-partition-offset') {
    requireArgs(call, where, 2, 'a partition number and a block offset');
    if (unsignedArg(call, where, 0, 'partition number') > 3) throw fwupError('task', callWhere(where, call), 'require-partition-offset requires the partition number to be 0-3');
    unsignedArg(call, where, 1, 'block offset');
  } else if (call.fn === 'require-execute') {
    requireArgs(call, where, 1, 'a command');
  } else {
    throw fwupError('task', callWhere(where, call), `${call.fn} is not a requirement vfleet applies; use require-uboot-variable, require-partition-offset or require-execute`);
  }
}

/** Whether one reqlist entry holds; unsupported guards are refused rather than guessed. */
export function requirementMet(call: FwupCall, where: string, meta: FwupMeta, image: PlannedImage, policy: ExecutePolicy): Verdict {
  switch (call.fn) {
    case 'require-uboot-variable':
      return ubootVariable(call, where, meta, image);
    case 'require-partition-offset':
      return partitionOffset(call, where, image);
    case 'require-execute': {
      requireArgs(call, where, 1, 'a command');
      // Without --unsafe fwup quietly treats the guard as unmet so that another task can match.
      if (!policy.allowExecute) return notMet('require-execute needs allowExecute (fwup --unsafe)');
      const status = runPolicyCommand(policy, call.args[0] as string, callWhere(where, call));
      return status === 0 ? MET : notMet(`command exited with status ${status}`);
    }
    default:
      if (UNSUPPORTED.has(call.fn)) throw fwupError('task', callWhere(where, call), `${call.fn} is not supported by vfleet's built-in applier; use the real fwup`);
      return notMet(`unknown requirement ${call.fn}`);
  }
}

/** First unmet guard of a task (its reqlist, then the deprecated require-partition1-offset), or met. */
export function taskApplicable(task: FwupTask, meta: FwupMeta, image: PlannedImage, policy: ExecutePolicy): Verdict {
  const where = `task ${JSON.stringify(task.name)}`;
  if (task.partition1Offset !== undefined) {
    const start = mbrPartitionStart(image, 1);
    if (typeof start === 'string') return notMet(start);
    if (start !== task.partition1Offset) return notMet(`MBR partition 1 starts at block ${start}, not ${task.partition1Offset}`);
  }
  for (const call of task.requirements) {
    const verdict = requirementMet(call, where, meta, image, policy);
    if (!verdict.met) return notMet(`${describeCall(call)} not met: ${verdict.reason}`);
  }
  return MET;
}
