// The funlist functions vfleet applies, each with the argument checks fwup makes when it creates
// an archive (`check`) and its effect on the planned image (`run`).
import { type ApplyContext, callWhere, requireArgs, unsignedArg } from './apply-context.js';
import { findEnv, freshEnv, readEnv, writeEnv } from './fwup-env.js';
import { fwupError } from './fwup-error.js';
import type { FwupCall, FwupMeta } from './meta-types.js';
import { BLOCK_SIZE } from './planned-image.js';
import { rawWriteChunks } from './raw-write.js';

interface FunctionRule {
  check(call: FwupCall, where: string, meta: FwupMeta, inResource: boolean): void;
  run(ctx: ApplyContext, call: FwupCall, where: string): void;
}

const envCheck =
  (count: number, meaning: string): FunctionRule['check'] =>
  (call, where, meta) => {
    requireArgs(call, where, count, meaning);
    findEnv(meta, call.args[0] as string, callWhere(where, call));
  };

function envUpdate(ctx: ApplyContext, call: FwupCall, where: string, change: (vars: Map<string, string>) => void): void {
  const at = callWhere(where, call);
  const env = findEnv(ctx.meta, call.args[0] as string, at);
  const state = readEnv(ctx.image, env, at);
  change(state.vars);
  writeEnv(ctx.image, env, state, at);
}

const RULES: Record<string, FunctionRule> = {
  raw_write: {
    check(call, where, _meta, inResource) {
      if (!inResource) throw fwupError('task', callWhere(where, call), 'raw_write only usable in on-resource');
      if (call.args.length > 1) throw fwupError('task', callWhere(where, call), 'raw_write encryption options are not supported by vfleet');
      requireArgs(call, where, 1, 'a block offset');
      unsignedArg(call, where, 0, 'block offset');
    },
    run(ctx, call, where) {
      const current = ctx.current as NonNullable<ApplyContext['current']>;
      if (current.consumed && current.data.length > 0) {
        throw fwupError('task', callWhere(where, call), `raw_write didn't write anything and was likely called twice in an on-resource for '${current.resource.name}'. Try a "cp" function.`);
      }
      current.consumed = true;
      const dest = unsignedArg(call, where, 0, 'block offset') * BLOCK_SIZE;
      for (const chunk of rawWriteChunks(current.resource, current.data)) {
        ctx.image.write(dest + chunk.offset, chunk.data, `${callWhere(where, call)}: resource ${JSON.stringify(current.resource.name)}`);
      }
    },
  },
  raw_memset: {
    check(call, where) {
      requireArgs(call, where, 3, 'a block offset, a block count and a byte value');
      unsignedArg(call, where, 0, 'block offset');
      if (unsignedArg(call, where, 1, 'block count') < 1) throw fwupError('task', callWhere(where, call), 'raw_memset requires a block count of at least 1');
      if (unsignedArg(call, where, 2, 'byte value') > 255) throw fwupError('task', callWhere(where, call), 'raw_memset requires a value 0..255');
    },
    run(ctx, call, where) {
      const [offset, count, value] = [0, 1, 2].map((i) => unsignedArg(call, where, i, 'argument')) as [number, number, number];
      // the range first: the fill is allocated only for bytes the image has
      ctx.image.requireRange(offset * BLOCK_SIZE, count * BLOCK_SIZE, callWhere(where, call), 'write');
      ctx.image.write(offset * BLOCK_SIZE, Buffer.alloc(count * BLOCK_SIZE, value), callWhere(where, call));
    },
  },
  trim: {
    check(call, where) {
      requireArgs(call, where, 2, 'a block offset and count');
      unsignedArg(call, where, 0, 'block offset');
      if (unsignedArg(call, where, 1, 'block count') < 1) throw fwupError('task', callWhere(where, call), 'trim requires a block count >1');
    },
    run(ctx, call, where) {
      ctx.image.trim(unsignedArg(call, where, 0, 'block offset') * BLOCK_SIZE, unsignedArg(call, where, 1, 'block count') * BLOCK_SIZE, callWhere(where, call));
    },
  },
  uboot_setenv: {
    check: envCheck(3, 'a uboot-environment reference, variable name and value'),
    run: (ctx, call, where) => envUpdate(ctx, call, where, (vars) => vars.set(call.args[1] as string, call.args[2] as string)),
  },
  uboot_unsetenv: {
    check: envCheck(2, 'a uboot-environment reference and a variable name'),
    run: (ctx, call, where) => envUpdate(ctx, call, where, (vars) => vars.delete(call.args[1] as string)),
  },
  uboot_recover: {
    check: envCheck(1, 'a uboot-environment reference'),
    run(ctx, call, where) {
      const at = callWhere(where, call);
      const env = findEnv(ctx.meta, call.args[0] as string, at);
      try {
        readEnv(ctx.image, env, at);
      } catch {
        writeEnv(ctx.image, env, freshEnv(env), at);
      }
    },
  },
  uboot_clearenv: {
    check: envCheck(1, 'a uboot-environment reference'),
    run(ctx, call, where) {
      const at = callWhere(where, call);
      const env = findEnv(ctx.meta, call.args[0] as string, at);
      writeEnv(ctx.image, env, freshEnv(env), at);
    },
  },
  info: {
    check: (call, where) => requireArgs(call, where, 1, 'a message parameter'),
    run: (ctx, call) => void ctx.messages.push(call.args[0] as string),
  },
  error: {
    check: (call, where) => requireArgs(call, where, 1, 'a message parameter'),
    run(_ctx, call, where) {
      throw fwupError('task', where, call.args[0] as string);
    },
  },
  execute: {
    check: (call, where) => requireArgs(call, where, 1, 'a command to execute'),
    run(ctx, call, where) {
      const at = callWhere(where, call);
      if (!ctx.allowExecute) throw fwupError('task', at, 'execute requires --unsafe: pass allowExecute to run commands from an archive');
      if (ctx.runCommand === undefined) throw fwupError('usage', at, 'allowExecute is set but no runCommand was given to run the command');
      ctx.image.execute(call.args[0] as string, at);
    },
  },
};

const UNSUPPORTED = new Set([
  'fat_mkfs', 'fat_attrib', 'fat_write', 'fat_cp', 'fat_mv', 'fat_mv!', 'fat_rm', 'fat_rm!', 'fat_mkdir', 'fat_setlabel',
  'fat_touch', 'gpt_write', 'mbr_write', 'path_write', 'pipe_write', 'reboot_param',
]);

function ruleFor(call: FwupCall, where: string): FunctionRule {
  // own keys only: a function named constructor or __proto__ is unknown, not Object's
  const rule = Object.hasOwn(RULES, call.fn) ? RULES[call.fn] : undefined;
  if (rule !== undefined) return rule;
  if (UNSUPPORTED.has(call.fn)) throw fwupError('task', callWhere(where, call), `${call.fn} is not supported by vfleet's built-in applier; use the real fwup`);
  throw fwupError('task', callWhere(where, call), `Unknown function ${JSON.stringify(call.fn)}; vfleet applies ${Object.keys(RULES).join(', ')}`);
}

/** Checks a call's name and arguments without running it (used when creating archives). */
export function checkCall(call: FwupCall, where: string, meta: FwupMeta, inResource: boolean): void {
  ruleFor(call, where).check(call, where, meta, inResource);
}

export function runCalls(ctx: ApplyContext, calls: readonly FwupCall[]): void {
  for (const call of calls) {
    const rule = ruleFor(call, ctx.where);
    rule.check(call, ctx.where, ctx.meta, ctx.current !== undefined);
    rule.run(ctx, call, ctx.where);
  }
}
