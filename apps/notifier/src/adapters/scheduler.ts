import type { RateLimiter } from '../domain/token-bucket';

/** A send would have to wait longer than we may hold the message: give it back to JetStream. */
export class RateLimitedError extends Error {
  readonly code = 'RATE_LIMITED';
  constructor(
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(`Telegram rate limit: retry in ${retryAfterMs} ms`, options);
    this.name = 'RateLimitedError';
  }
}

export interface SendScheduler {
  /**
   * Runs `send` when both the global and the chat's rate allow it. Sends to one chat go
   * in order, one at a time; different chats wait independently, so a busy chat never
   * stalls the others. A 429 pauses the chat for retry_after and retries in-process when
   * the wait is short; a long wait throws RateLimitedError.
   */
  run<T>(chatId: number, send: () => Promise<T>): Promise<T>;
}

export interface SchedulerOptions {
  limiter: RateLimiter;
  /** Longest in-process wait (a slot or a retry_after); beyond it, RateLimitedError. */
  maxWaitMs: number;
  /** retry_after of a 429 in ms, undefined for any other error (which is passed on). */
  retryAfterOf: (err: unknown) => number | undefined;
  /** Sends of one message, 429 retries included. */
  maxAttempts?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSendScheduler(opts: SchedulerOptions): SendScheduler {
  const { limiter, maxWaitMs, retryAfterOf } = opts;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const maxAttempts = opts.maxAttempts ?? 3;
  const tails = new Map<number, Promise<void>>();
  let lastPrune = now();

  const slot = async (chatId: number) => {
    for (;;) {
      const wait = limiter.tryAcquire(chatId, now());
      if (wait === 0) return;
      if (wait > maxWaitMs) throw new RateLimitedError(wait);
      await sleep(wait);
    }
  };

  const attempt = async <T>(chatId: number, send: () => Promise<T>): Promise<T> => {
    if (now() - lastPrune > 60_000) {
      lastPrune = now();
      limiter.prune(lastPrune);
    }
    for (let n = 1; ; n++) {
      await slot(chatId);
      try {
        return await send();
      } catch (err) {
        const retryAfterMs = retryAfterOf(err);
        if (retryAfterMs === undefined) throw err;
        limiter.pauseChat(chatId, now(), now() + retryAfterMs);
        if (retryAfterMs > maxWaitMs || n >= maxAttempts) throw new RateLimitedError(retryAfterMs, { cause: err });
      }
    }
  };

  return {
    run(chatId, send) {
      const prev = tails.get(chatId) ?? Promise.resolve();
      const result = prev.then(() => attempt(chatId, send));
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(chatId, tail);
      void tail.then(() => {
        if (tails.get(chatId) === tail) tails.delete(chatId);
      });
      return result;
    },
  };
}
