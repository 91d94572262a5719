import { parseRequirement, parseVersion } from '@vfleet/core';
import type { Fields } from './fields.js';

function checked(f: Fields, name: string, parse: (text: string, where: string) => unknown): string | null {
  const text = f.optText(name, 200);
  if (text === null) return null;
  try {
    parse(text, name);
  } catch (e) {
    f.fail(name, (e as Error).message.replace(`${name}: `, ''));
  }
  return text;
}

/** A SemVer 2.0 version or null; errors name `<entity>.<name>`. */
export const optVersion = (f: Fields, name: string): string | null => checked(f, name, parseVersion);

/** An Elixir version requirement (`~> 1.1`) or null; an empty string is refused. */
export const optRequirement = (f: Fields, name: string): string | null => checked(f, name, parseRequirement);
