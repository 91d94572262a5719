import { describeFound, isPlainObject, jsonPath } from './json-path.js';
import type { Segments } from './json-path.js';
import type { ConfigIssue, InterfacePriority, PortRange } from './types.js';

export interface Issues {
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
}

/** Decodes a present, non-null JSON value; returns undefined after reporting an error. */
export interface Codec<T> {
  /** Type as shown in docs, e.g. `int`, `string[]`, `"start-end"`. */
  type: string;
  decode(raw: unknown, at: Segments, issues: Issues): T | undefined;
}

export function reject(issues: Issues, at: Segments, expected: string, raw: unknown, note = ''): undefined {
  issues.errors.push({ path: jsonPath(at), message: `expected ${expected}, found ${describeFound(raw)}${note}` });
  return undefined;
}

export function warn(issues: Issues, at: Segments, message: string): void {
  issues.warnings.push({ path: jsonPath(at), message });
}

export const bool: Codec<boolean> = {
  type: 'bool',
  decode: (raw, at, issues) => (typeof raw === 'boolean' ? raw : reject(issues, at, 'true or false', raw)),
};

export function int(min: number, max = Number.MAX_SAFE_INTEGER): Codec<number> {
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return {
    type: 'int',
    decode: (raw, at, issues) =>
      Number.isInteger(raw) && (raw as number) >= min && (raw as number) <= max ? (raw as number) : reject(issues, at, expected, raw),
  };
}

export const string: Codec<string> = {
  type: 'string',
  decode: (raw, at, issues) => (typeof raw === 'string' ? raw : reject(issues, at, 'a string', raw)),
};

export const path: Codec<string> = {
  type: 'path',
  decode: (raw, at, issues) =>
    typeof raw === 'string' && raw !== '' ? raw : reject(issues, at, 'a non-empty path string', raw),
};

export function oneOf<const T extends string>(values: readonly T[]): Codec<T> {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return {
    type: values.map((v) => JSON.stringify(v)).join(' | '),
    decode: (raw, at, issues) =>
      (values as readonly unknown[]).includes(raw) ? (raw as T) : reject(issues, at, expected, raw),
  };
}

export function listOf<T>(item: Codec<T>, type = `${item.type}[]`): Codec<T[]> {
  return {
    type,
    decode(raw, at, issues) {
      if (!Array.isArray(raw)) return reject(issues, at, `an array (${type})`, raw);
      const out: T[] = [];
      let ok = true;
      raw.forEach((v, i) => {
        const decoded = item.decode(v, [...at, i], issues);
        if (decoded === undefined) ok = false;
        else out.push(decoded);
      });
      return ok ? out : undefined;
    },
  };
}

export const stringMap: Codec<Record<string, string>> = {
  type: 'object {"K": "V"}',
  decode(raw, at, issues) {
    if (!isPlainObject(raw)) return reject(issues, at, 'an object of string values', raw);
    const bad = Object.entries(raw).filter(([, v]) => typeof v !== 'string');
    for (const [k, v] of bad) reject(issues, [...at, k], 'a string value', v);
    return bad.length === 0 ? (raw as Record<string, string>) : undefined;
  },
};

/** Any JSON object, validated later (node.key_pair_config). */
export const object: Codec<Record<string, unknown>> = {
  type: 'object',
  decode: (raw, at, issues) => (isPlainObject(raw) ? raw : reject(issues, at, 'an object', raw)),
};

function portNumber(text: string): number | undefined {
  const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  return n >= 1 && n <= 65535 ? n : undefined;
}

export const hostPort: Codec<{ host: string; port: number | null }> = {
  type: 'host[:port]',
  decode(raw, at, issues) {
    const expected = 'host or host:port without a scheme, e.g. "device.cremini.peridio.com" or "127.0.0.1:4001"';
    if (typeof raw !== 'string') return reject(issues, at, expected, raw);
    if (raw.includes('://')) return reject(issues, at, expected, raw, ' (peridiod splits on ":" and would use the scheme as host)');
    const [host = '', port, extra] = raw.split(':');
    if (host === '' || /[\s/]/.test(host) || extra !== undefined) return reject(issues, at, expected, raw);
    if (port === undefined) return { host, port: null };
    const n = portNumber(port);
    return n === undefined ? reject(issues, at, `${expected} with a port from 1 to 65535`, raw) : { host, port: n };
  },
};

export const portRange: Codec<PortRange> = {
  type: '"start-end"',
  decode(raw, at, issues) {
    const expected = '"start-end" with ports from 1 to 65535 and start <= end, e.g. "49152-65535"';
    const m = typeof raw === 'string' ? /^([0-9]+)-([0-9]+)$/.exec(raw) : null;
    const start = m ? portNumber(m[1] as string) : undefined;
    const end = m ? portNumber(m[2] as string) : undefined;
    return start !== undefined && end !== undefined && start <= end ? { start, end } : reject(issues, at, expected, raw);
  },
};

const cidr: Codec<string> = {
  type: 'CIDR',
  decode(raw, at, issues) {
    const m = typeof raw === 'string' ? /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\/([0-9]{1,2})$/.exec(raw) : null;
    const ok = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
    return ok ? (raw as string) : reject(issues, at, 'an IPv4 CIDR "a.b.c.d/n" (n from 0 to 32), e.g. "10.0.0.0/8"', raw);
  },
};

export const cidrList: Codec<string[]> = {
  type: 'CIDR[]',
  decode(raw, at, issues) {
    // peridiod has no clause for an empty list and crashes at startup.
    if (Array.isArray(raw) && raw.length === 0) {
      return reject(issues, at, 'a non-empty array of CIDRs', raw, ' (peridiod crashes on []; omit the key for the default)');
    }
    return listOf(cidr).decode(raw, at, issues);
  },
};

const interfaceEntry: Codec<InterfacePriority> = {
  type: 'interface',
  decode(raw, at, issues) {
    const expected = 'an interface name or {"<ifname>": {"disconnect_on_higher_priority": bool}}';
    if (typeof raw === 'string' && raw !== '') return { name: raw, disconnectOnHigherPriority: false };
    const names = isPlainObject(raw) ? Object.keys(raw) : [];
    const name = names[0];
    if (names.length !== 1 || name === undefined || name === '') return reject(issues, at, expected, raw);
    const opts = (raw as Record<string, unknown>)[name] ?? {};
    if (!isPlainObject(opts)) return reject(issues, [...at, name], 'an object of interface options', opts);
    let disconnect = false;
    for (const [k, v] of Object.entries(opts)) {
      if (k !== 'disconnect_on_higher_priority') warn(issues, [...at, name, k], 'unknown interface option, ignored (known: disconnect_on_higher_priority)');
      else if (v !== null && bool.decode(v, [...at, name, k], issues) === undefined) return undefined;
      else disconnect = v === true;
    }
    return { name, disconnectOnHigherPriority: disconnect };
  },
};

export const interfacePriority = listOf(interfaceEntry, '(string | {ifname: options})[]');
