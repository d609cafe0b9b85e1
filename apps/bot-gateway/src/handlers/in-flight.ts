/**
 * Counts updates being handled, so shutdown can let them finish before it cuts the
 * webhook connections (Telegram keeps them open; fastify's close would wait for them).
 */
export interface InFlight {
  track<T>(work: () => Promise<T>): Promise<T>;
  /** Resolves when nothing is in flight, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void>;
  readonly count: number;
}

export function createInFlight(): InFlight {
  let count = 0;
  let waiters: Array<() => void> = [];
  const settle = () => {
    if (count > 0) return;
    for (const w of waiters) w();
    waiters = [];
  };
  return {
    get count() {
      return count;
    },
    async track(work) {
      count++;
      try {
        return await work();
      } finally {
        count--;
        settle();
      }
    },
    idle(timeoutMs) {
      if (count === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
