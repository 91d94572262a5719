export interface RampOptions {
  /** Devices started per second (default: no limit). */
  rate?: number;
  /** Each start is delayed by a random 0..jitterMs (default 0). */
  jitterMs?: number;
  /** Devices onboarding at once: started but not yet online (default: no limit). */
  concurrency?: number;
  /** An onboarding device frees its place after this long even if it never gets online (default 60 s). */
  onboardingTimeoutMs?: number;
}

/**
 * Polite start: a token bucket of `rate` starts per second, random jitter, and a cap on devices
 * onboarding at once. `start(id)` runs for each id in order; `settled(id)` frees its place.
 */
export function createRamp(opts: RampOptions & { start: (id: string) => void }) {
  const rate = opts.rate !== undefined && opts.rate > 0 ? opts.rate : Infinity;
  const cap = opts.concurrency !== undefined && opts.concurrency > 0 ? opts.concurrency : Infinity;
  const jitter = Math.max(0, opts.jitterMs ?? 0);
  const timeoutMs = opts.onboardingTimeoutMs ?? 60_000;
  const queue: string[] = [];
  const queued = new Set<string>();
  const onboarding = new Map<string, NodeJS.Timeout | undefined>();
  let epoch = 0;
  let sinceEpoch = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  const settled = (id: string) => {
    if (!onboarding.has(id)) return;
    clearTimeout(onboarding.get(id));
    onboarding.delete(id);
    schedule(0);
  };

  function schedule(ms: number) {
    if (closed || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, ms);
  }

  function pump() {
    if (closed) return;
    const now = performance.now();
    const tokens = rate === Infinity ? Infinity : Math.floor(((now - epoch) / 1000) * rate) + 1 - sinceEpoch;
    let n = Math.min(tokens, cap - onboarding.size, queue.length);
    while (n-- > 0) {
      const id = queue.shift() as string;
      queued.delete(id);
      sinceEpoch++;
      const limit = timeoutMs > 0 ? setTimeout(() => settled(id), timeoutMs + jitter) : undefined;
      limit?.unref();
      onboarding.set(id, limit);
      if (jitter > 0) setTimeout(() => !closed && opts.start(id), Math.random() * jitter);
      else opts.start(id);
    }
    if (queue.length === 0) {
      for (const w of idleWaiters) w();
      idleWaiters = [];
      return;
    }
    // a full onboarding cap waits for settled(); otherwise the next token
    if (onboarding.size < cap && rate !== Infinity) schedule(Math.max(1, ((sinceEpoch - ((now - epoch) / 1000) * rate) * 1000) / rate));
  }

  return {
    push(ids: string[]) {
      if (queue.length === 0 && onboarding.size === 0) {
        epoch = performance.now();
        sinceEpoch = 0;
      }
      for (const id of ids) {
        if (queued.has(id)) continue;
        queued.add(id);
        queue.push(id);
      }
      schedule(0);
    },
    /** Drops queued ids (a stop before their turn) and frees their places. */
    remove(ids: Iterable<string>) {
      const drop = new Set(ids);
      for (const id of drop) {
        queued.delete(id);
        settled(id);
      }
      for (let i = queue.length - 1; i >= 0; i--) if (drop.has(queue[i] as string)) queue.splice(i, 1);
    },
    settled,
    isQueued: (id: string) => queued.has(id),
    /** Resolves once every queued id has been started. */
    drained(): Promise<void> {
      if (queue.length === 0) return Promise.resolve();
      return new Promise((r) => idleWaiters.push(r));
    },
    close() {
      closed = true;
      clearTimeout(timer);
      for (const t of onboarding.values()) clearTimeout(t);
      onboarding.clear();
      for (const w of idleWaiters) w();
      idleWaiters = [];
    },
  };
}

export type Ramp = ReturnType<typeof createRamp>;
