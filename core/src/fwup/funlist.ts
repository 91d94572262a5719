// fwup compiles each `f(a, b)` into a flat string list: argc (counting the name), name, args…
import { parseCUnsigned } from './c-number.js';
import type { ConfValue } from './conf-parse.js';
import { fwupError } from './fwup-error.js';
import type { FwupCall } from './meta-types.js';

/** fwup's FUN_MAX_ARGS: the function name plus up to nine arguments. */
export const MAX_ARGC = 10;

export function decodeFunlist(values: readonly ConfValue[], source: string, what: string): FwupCall[] {
  const calls: FwupCall[] = [];
  for (let i = 0; i < values.length; ) {
    const head = values[i] as ConfValue;
    const argc = parseCUnsigned(head.text);
    const where = `${source}:${head.at.line}:${head.at.column}`;
    if (argc === undefined || argc < 1 || argc > MAX_ARGC) {
      throw fwupError('archive', where, `${what}: expected an argument count 1..${MAX_ARGC} at item ${i}, found ${JSON.stringify(head.text)}`);
    }
    if (i + 1 + argc > values.length) {
      throw fwupError('archive', where, `${what}: item ${i} announces ${argc} strings but only ${values.length - i - 1} follow`);
    }
    const [fn, ...args] = values.slice(i + 1, i + 1 + argc).map((v) => v.text) as [string, ...string[]];
    calls.push({ fn, args });
    i += 1 + argc;
  }
  return calls;
}

export function encodeFunlist(calls: readonly FwupCall[]): string[] {
  return calls.flatMap((call) => [String(call.args.length + 1), call.fn, ...call.args]);
}

/** `name(arg, …)` for messages. */
export function describeCall(call: FwupCall): string {
  return `${call.fn}(${call.args.map((a) => JSON.stringify(a)).join(', ')})`;
}
