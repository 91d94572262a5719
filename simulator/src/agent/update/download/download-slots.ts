/**
 * Simultaneous binary downloads allowed among the agents of one process (the in-process runtime
 * hands one set to all its devices). Past a few hundred downloads on one host the kernel's TCP
 * memory reaches net.ipv4.tcp_mem's pressure threshold, and the stack drops segments and
 * retransmits after timeouts; one process has no more cores to use for more downloads at once, so
 * the rest wait their turn, first come first served. A device on its own (process, namespace,
 * container) has no slots to share.
 */
export interface DownloadSlots {
  readonly limit: number;
  /** Downloads holding a slot now. */
  readonly inUse: number;
  /** Downloads waiting for one. */
  readonly waiting: number;
  /**
   * Resolves with the function that gives the slot back (calling it again does nothing); rejects
   * with the signal's reason when it is aborted first, leaving the queue.
   */
  take(signal: AbortSignal): Promise<() => void>;
}

export function createDownloadSlots(limit: number): DownloadSlots {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`download slots: the limit must be a whole number of at least 1, not ${String(limit)}`);
  let inUse = 0;
  const queue = new Set<() => void>();

  function releaser(): () => void {
    let given = false;
    return () => {
      if (given) return;
      given = true;
      // handed straight to the longest waiter, so a new arrival cannot overtake the queue
      const next = queue.values().next();
      if (next.done === true) inUse--;
      else {
        queue.delete(next.value);
        next.value();
      }
    };
  }

  return {
    limit,
    get inUse() {
      return inUse;
    },
    get waiting() {
      return queue.size;
    },
    take(signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (inUse < limit && queue.size === 0) {
        inUse++;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve, reject) => {
        const onAbort = (): void => {
          queue.delete(granted);
          reject(signal.reason);
        };
        const granted = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve(releaser());
        };
        queue.add(granted);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
