import { useEffect } from 'react';
import { useStdin } from 'ink';

/**
 * Keeps keys that ink cannot name from ending the program. ink 6's useInput throws (a TypeError in
 * its own handler, before ours runs) for escape sequences its key parser reads as Ctrl with no key
 * name, such as Ctrl+F1 (`ESC[1;5P`) or a stray colour code (`ESC[31m`) pasted into the terminal;
 * thrown from stdin's listener, that ended the TUI and the fleet it hosted. Such an input is now
 * dropped, as the help says unknown keys are; errors from any other input still surface.
 */
export function useIgnoreUnnamedKeys(): void {
  const { internal_eventEmitter: events } = useStdin();
  useEffect(() => {
    const emit = events.emit;
    events.emit = function (this: typeof events, event: string | symbol, ...args: unknown[]): boolean {
      const input = args[0];
      if (event !== 'input' || typeof input !== 'string' || !input.startsWith('\u001b')) return emit.call(this, event, ...args);
      try {
        return emit.call(this, event, ...args);
      } catch {
        return false;
      }
    };
    return () => {
      events.emit = emit;
    };
  }, [events]);
}
