/**
 * Token-bucket math for Telegram's send limits. Pure: every function takes the time
 * (`now`, ms) instead of reading a clock, so tests need no timers.
 */

import { parseRate as parseRateText } from '@neurocards/platform';

export interface Rate {
  /** Bucket size: how many sends may go at once after a quiet spell. */
  capacity: number;
  /** Tokens added per millisecond. */
  perMs: number;
}

/** A configured rate (platform `rate()`) as a bucket: `25/1s` → 25 tokens, refilled at 25 per second. */
export function bucketRate(r: { count: number; periodMs: number }): Rate {
  return { capacity: r.count, perMs: r.count / r.periodMs };
}

/** `25/1s` → 25 tokens, refilled at 25 per second; `20/60s` → 20 tokens, one every 3 s. */
export const parseRate = (text: string): Rate => bucketRate(parseRateText(text));

export interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
  /** No token is handed out before this instant (a 429's retry_after). */
  pausedUntil: number;
}

export const fullBucket = (rate: Rate, now: number): Bucket => ({ tokens: rate.capacity, at: now, pausedUntil: 0 });

/** The bucket brought up to `now`: tokens added for the time passed, capped at capacity. */
export function refill(rate: Rate, b: Bucket, now: number): Bucket {
  if (now <= b.at) return b;
  return { ...b, tokens: Math.min(rate.capacity, b.tokens + (now - b.at) * rate.perMs), at: now };
}

/** Milliseconds until one token can be taken (0 = now). */
export function waitFor(rate: Rate, b: Bucket, now: number): number {
  const r = refill(rate, b, now);
  const pause = Math.max(0, r.pausedUntil - now);
  // The epsilon absorbs floating-point dust (0.999 ms of refill is not "2 ms to go").
  const missing = r.tokens >= 1 - 1e-9 ? 0 : Math.ceil((1 - r.tokens) / rate.perMs - 1e-6);
  return Math.max(pause, missing);
}

/** Takes one token when available; the caller checks `waitFor` first. */
export function take(rate: Rate, b: Bucket, now: number): Bucket {
  const r = refill(rate, b, now);
  if (waitFor(rate, r, now) > 0) throw new Error('no token available');
  return { ...r, tokens: Math.max(0, r.tokens - 1) };
}

/** Nothing goes before `until`; afterwards one token is ready (Telegram asked us to wait, not to slow down for good). */
export function pause(rate: Rate, b: Bucket, now: number, until: number): Bucket {
  const r = refill(rate, b, now);
  return { tokens: Math.max(r.tokens, 1), at: Math.max(r.at, until), pausedUntil: Math.max(r.pausedUntil, until) };
}

/** A bucket that has refilled completely carries no state worth keeping. */
export const isIdle = (rate: Rate, b: Bucket, now: number) =>
  now >= b.pausedUntil && refill(rate, b, now).tokens >= rate.capacity;

/**
 * A global bucket plus one bucket per chat. A send needs a token from both; tokens are
 * taken from both at once, so a chat that has to wait never burns a global token.
 */
export class RateLimiter {
  private global: Bucket;
  private readonly chats = new Map<number, Bucket>();

  constructor(
    private readonly globalRate: Rate,
    private readonly chatRate: Rate,
    now: number,
  ) {
    this.global = fullBucket(globalRate, now);
  }

  /** Takes a slot for `chatId` and returns 0, or returns how long to wait and takes nothing. */
  tryAcquire(chatId: number, now: number): number {
    const chat = this.chats.get(chatId) ?? fullBucket(this.chatRate, now);
    const wait = Math.max(waitFor(this.chatRate, chat, now), waitFor(this.globalRate, this.global, now));
    if (wait > 0) return wait;
    this.chats.set(chatId, take(this.chatRate, chat, now));
    this.global = take(this.globalRate, this.global, now);
    return 0;
  }

  /** Holds the chat back until `until` (Telegram answered 429 with retry_after). */
  pauseChat(chatId: number, now: number, until: number): void {
    const chat = this.chats.get(chatId) ?? fullBucket(this.chatRate, now);
    this.chats.set(chatId, pause(this.chatRate, chat, now, until));
  }

  /** Drops buckets of chats that have been quiet long enough to be full again. */
  prune(now: number): void {
    for (const [id, b] of this.chats) if (isIdle(this.chatRate, b, now)) this.chats.delete(id);
  }

  /** Chats with state (for tests and metrics). */
  get trackedChats(): number {
    return this.chats.size;
  }
}
