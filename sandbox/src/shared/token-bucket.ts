/** A token bucket: `ratePerSecond` tokens refill continuously up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Takes one token, or tells how long until one is available. */
  take(now = Date.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    const wait = this.waitMs(now);
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    this.tokens -= 1;
    return { ok: true };
  }

  /** Milliseconds until a token is available (0: now), taking nothing. */
  waitMs(now = Date.now()): number {
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerSecond);
    this.updatedAt = Math.max(this.updatedAt, now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
  }
}

/** Counts events in a sliding window (KIE: 20 new tasks per 10 s per account). */
export class SlidingWindow {
  private readonly times: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records an event if under the limit; otherwise tells when the oldest one leaves the window. */
  hit(now = Date.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    while (this.times.length > 0 && (this.times[0] ?? 0) <= now - this.windowMs) this.times.shift();
    if (this.times.length >= this.limit) {
      return { ok: false, retryAfterMs: (this.times[0] ?? now) + this.windowMs - now };
    }
    this.times.push(now);
    return { ok: true };
  }
}
