import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/** The absolute path of `name` on `searchPath` (a PATH-style list), or undefined when absent. */
export async function findTool(name: string, searchPath: string): Promise<string | undefined> {
  const candidates = isAbsolute(name) ? [name] : searchPath.split(delimiter).filter((d) => d !== '').map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}
