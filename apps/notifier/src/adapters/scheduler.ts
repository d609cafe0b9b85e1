import { BudgetWaitTooLong, type TelegramBudget } from '@neurocards/platform';
import { RateLimiter } from '../domain/token-bucket';

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

/** Where send slots come from: the budget shared by every process of the bot, or (tests) one in memory. */
export interface SendLimiter {
  /** Waits for the chat's and the global slot and takes both; RateLimitedError when that would take over `maxWaitMs`. */
  acquire(chatId: number, maxWaitMs: number): Promise<void>;
  /** Telegram answered 429 in this chat: hold it until `untilMs`. */
  pauseChat(chatId: number, untilMs: number): Promise<void>;
}

/** The shared budget (KV `telegram_budget`): notifications take slots behind the gateway's replies. */
export function sharedLimiter(budget: TelegramBudget): SendLimiter {
  return {
    async acquire(chatId, maxWaitMs) {
      try {
        await budget.acquireNotification(chatId, maxWaitMs);
      } catch (err) {
        if (err instanceof BudgetWaitTooLong) throw new RateLimitedError(err.waitMs, { cause: err });
        throw err;
      }
    },
    pauseChat: (chatId, untilMs) => budget.pauseChat(chatId, untilMs),
  };
}

export interface SchedulerOptions {
  /** The shared budget, or an in-process RateLimiter (one process alone: tests). */
  limiter: SendLimiter | RateLimiter;
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
  const { maxWaitMs, retryAfterOf } = opts;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const maxAttempts = opts.maxAttempts ?? 3;
  const tails = new Map<number, Promise<void>>();

  const limiter: SendLimiter = opts.limiter instanceof RateLimiter ? inMemory(opts.limiter) : opts.limiter;

  function inMemory(local: RateLimiter): SendLimiter {
    let lastPrune = now();
    return {
      async acquire(chatId, maxWait) {
        if (now() - lastPrune > 60_000) {
          lastPrune = now();
          local.prune(lastPrune);
        }
        for (;;) {
          const wait = local.tryAcquire(chatId, now());
          if (wait === 0) return;
          if (wait > maxWait) throw new RateLimitedError(wait);
          await sleep(wait);
        }
      },
      pauseChat: async (chatId, untilMs) => local.pauseChat(chatId, now(), untilMs),
    };
  }

  const attempt = async <T>(chatId: number, send: () => Promise<T>): Promise<T> => {
    for (let n = 1; ; n++) {
      await limiter.acquire(chatId, maxWaitMs);
      try {
        return await send();
      } catch (err) {
        const retryAfterMs = retryAfterOf(err);
        if (retryAfterMs === undefined) throw err;
        // Every process holds the chat back, not only this one.
        await limiter.pauseChat(chatId, now() + retryAfterMs).catch(() => undefined);
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
