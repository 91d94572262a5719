import { useEffect, useRef } from 'react';

/**
 * Keeps a tail view that is scrolled up (`scroll` lines from the end; 0 follows) on the lines it
 * shows while new ones are appended: `appended` counts every line ever added to the end, `max` is
 * the furthest it may scroll. Inactive views are not moved.
 */
export function useScrollAnchor(appended: number, active: boolean, max: number, setScroll: (update: (scroll: number) => number) => void): void {
  const seen = useRef(appended);
  useEffect(() => {
    const added = appended - seen.current;
    seen.current = appended;
    if (active && added > 0) setScroll((s) => (s > 0 ? Math.min(s + added, Math.max(0, max)) : s));
  }, [appended, active, max, setScroll]);
}
