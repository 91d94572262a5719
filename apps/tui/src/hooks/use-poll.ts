import { useEffect, useState } from 'react';

export interface Polled<T> {
  value?: T;
  error?: string;
  /** Ask again now (after an action changed what is shown). */
  reload: () => void;
}

/**
 * Calls `load` now and every `everyMs` while `active`, one call at a time; a failure keeps the last
 * value and sets `error` until the next success.
 */
export function usePoll<T>(load: (() => Promise<T>) | undefined, everyMs: number, active: boolean): Polled<T> {
  // the loader each answer came from: a new loader (another device) never shows the old one's answer
  const [state, setState] = useState<{ from?: () => Promise<T>; value?: T; error?: string }>({});
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    if (!load || !active) return undefined;
    let live = true;
    let busy = false;
    const run = () => {
      if (busy) return;
      busy = true;
      load().then(
        (value) => {
          if (live) setState({ from: load, value });
        },
        (e: unknown) => {
          if (live) setState((s) => (s.from === load ? { ...s, error: (e as Error).message } : { from: load, error: (e as Error).message }));
        },
      ).finally(() => {
        busy = false;
      });
    };
    run();
    const timer = setInterval(run, everyMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [load, everyMs, active, nonce]);
  const reload = () => setNonce((n) => n + 1);
  if (state.from !== load) return { reload };
  return { ...(state.value === undefined ? {} : { value: state.value }), ...(state.error === undefined ? {} : { error: state.error }), reload };
}
