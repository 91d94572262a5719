import { lstatSync, type Stats } from 'node:fs';

/** What stands at `path`, never followed (a link is a link); undefined when nothing does or it cannot be looked at. */
export function entryAt(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
