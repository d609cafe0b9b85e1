/** What `withGrace` gives back when it stopped waiting. */
export const ABANDONED = Symbol('abandoned');

/**
 * Waits for `p`, but once `signal` aborts (the replica is stopping) at most `graceMs` more;
 * then gives up waiting (the call itself goes on). Timers and listeners are cleaned up either
 * way, so a finished call leaves nothing keeping the process alive.
 */
export function withGrace<T>(
  p: Promise<T>,
  signal: AbortSignal,
  graceMs: number,
): Promise<T | typeof ABANDONED> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => resolve(ABANDONED), graceMs);
    };
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (err: unknown) => {
        cleanup();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
