// ssh-style escapes for an attached console: `~.` at the start of a line, or Ctrl-], detaches.

export const CTRL_RIGHT_BRACKET = '\x1d';

export interface EscapeResult {
  /** What goes to the device. */
  forward: string;
  detach: boolean;
}

/**
 * A stateful filter over typed text. A `~` at the start of a line is held until the next key: `.`
 * detaches, `~` sends one `~`, anything else sends both. The start of the session counts as a line start.
 */
export function createEscapeFilter(): (typed: string) => EscapeResult {
  let atLineStart = true;
  let tildeHeld = false;
  return (typed) => {
    let forward = '';
    for (const c of typed) {
      if (tildeHeld) {
        tildeHeld = false;
        if (c === '.') return { forward, detach: true };
        forward += '~';
        if (c === '~') {
          atLineStart = false;
          continue;
        }
      }
      if (c === CTRL_RIGHT_BRACKET) return { forward, detach: true };
      if (atLineStart && c === '~') {
        tildeHeld = true;
        continue;
      }
      forward += c;
      atLineStart = c === '\r' || c === '\n';
    }
    return { forward, detach: false };
  };
}
