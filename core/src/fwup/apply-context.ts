import { parseCUnsigned } from './c-number.js';
import { describeCall } from './funlist.js';
import { fwupError } from './fwup-error.js';
import type { FwupCall, FwupMeta, FwupResource } from './meta-types.js';
import type { PlannedImage, TrimMode } from './planned-image.js';
import type { ResourceBytes } from './zip-source.js';

export interface ExecutePolicy {
  /** fwup's --unsafe: `execute` and `require-execute` may run commands. */
  allowExecute: boolean;
  /** Runs a shell command and returns its exit status (core spawns nothing itself). */
  runCommand?: (command: string) => number;
}

/** The resource an on-resource section is processing. */
export interface CurrentResource {
  resource: FwupResource;
  data: ResourceBytes;
  consumed: boolean;
}

export interface ApplyContext extends ExecutePolicy {
  meta: FwupMeta;
  image: PlannedImage;
  trimMode: TrimMode;
  messages: string[];
  /** "task "upgrade.b" on-finish": prefixes every message about a call. */
  where: string;
  current?: CurrentResource;
}

/** Prefix naming the call in errors: `task "x" on-init: raw_write("12")`. */
export function callWhere(where: string, call: FwupCall): string {
  return `${where}: ${describeCall(call)}`;
}

export function requireArgs(call: FwupCall, where: string, count: number, meaning: string): void {
  if (call.args.length !== count) {
    throw fwupError('task', callWhere(where, call), `${call.fn} requires ${meaning} (${count} argument${count === 1 ? '' : 's'}, got ${call.args.length})`);
  }
}

export function unsignedArg(call: FwupCall, where: string, index: number, meaning: string): number {
  const text = call.args[index] ?? '';
  const value = parseCUnsigned(text);
  if (value === undefined) throw fwupError('task', callWhere(where, call), `${call.fn} requires a non-negative integer ${meaning}, got ${JSON.stringify(text)}`);
  return value;
}

/** Runs a command through the caller's runner; refuses when execution was not allowed. */
export function runPolicyCommand(policy: ExecutePolicy, command: string, where: string): number {
  if (!policy.allowExecute) throw fwupError('task', where, 'refusing to run a command: pass allowExecute (fwup --unsafe) to allow execute');
  if (policy.runCommand === undefined) throw fwupError('usage', where, 'allowExecute is set but no runCommand was given to run the command');
  return policy.runCommand(command);
}
