import { describe, expect, it } from 'vitest';
import { fullBucket, isIdle, parseRate, pause, RateLimiter, refill, take, waitFor } from './token-bucket';

describe('parseRate', () => {
  it('reads count per period as capacity and refill speed', () => {
    expect(parseRate('25/1s')).toEqual({ capacity: 25, perMs: 0.025 });
    expect(parseRate('20/60s')).toEqual({ capacity: 20, perMs: 20 / 60_000 });
    expect(parseRate('1/s')).toEqual({ capacity: 1, perMs: 0.001 });
    expect(parseRate('30/1m').perMs).toBeCloseTo(0.0005);
  });

  it('rejects what is not a rate', () => {
    for (const bad of ['25', '0/1s', '5/0s', 'fast', '5/1x', '-1/1s']) expect(() => parseRate(bad), bad).toThrow();
  });
});

describe('bucket math', () => {
  const rate = parseRate('2/1s'); // 2 tokens, one every 500 ms

  it('starts full and spends one token per take', () => {
    let b = fullBucket(rate, 0);
    expect(waitFor(rate, b, 0)).toBe(0);
    b = take(rate, b, 0);
    b = take(rate, b, 0);
    expect(b.tokens).toBe(0);
    expect(() => take(rate, b, 0)).toThrow();
  });

  it('refills with time, never above capacity', () => {
    const empty = { tokens: 0, at: 0, pausedUntil: 0 };
    expect(refill(rate, empty, 250).tokens).toBeCloseTo(0.5);
    expect(waitFor(rate, empty, 250)).toBe(250);
    expect(waitFor(rate, empty, 500)).toBe(0);
    expect(refill(rate, empty, 60_000).tokens).toBe(2);
  });

  it('ignores a clock that goes backwards', () => {
    const b = { tokens: 1, at: 1000, pausedUntil: 0 };
    expect(refill(rate, b, 500)).toEqual(b);
  });

  it('pause holds every token back until the given instant, then gives one', () => {
    let b = fullBucket(rate, 0);
    b = pause(rate, b, 0, 3000);
    expect(waitFor(rate, b, 0)).toBe(3000);
    expect(waitFor(rate, b, 2999)).toBe(1);
    expect(waitFor(rate, b, 3000)).toBe(0);
    b = take(rate, b, 3000);
    // The next token comes at the normal pace after the pause.
    expect(waitFor(rate, b, 3000)).toBe(0);
    b = take(rate, b, 3000);
    expect(waitFor(rate, b, 3000)).toBe(500);
  });

  it('an empty bucket paused keeps one token for when the pause ends', () => {
    const b = pause(rate, { tokens: 0, at: 0, pausedUntil: 0 }, 0, 1000);
    expect(waitFor(rate, b, 1000)).toBe(0);
  });

  it('is idle only when full and not paused', () => {
    expect(isIdle(rate, fullBucket(rate, 0), 0)).toBe(true);
    expect(isIdle(rate, take(rate, fullBucket(rate, 0), 0), 0)).toBe(false);
    expect(isIdle(rate, take(rate, fullBucket(rate, 0), 0), 500)).toBe(true);
    expect(isIdle(rate, pause(rate, fullBucket(rate, 0), 0, 100), 50)).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('limits each chat on its own', () => {
    const l = new RateLimiter(parseRate('30/1s'), parseRate('1/1s'), 0);
    expect(l.tryAcquire(1, 0)).toBe(0);
    expect(l.tryAcquire(1, 0)).toBe(1000);
    // Another chat is not held up by chat 1.
    expect(l.tryAcquire(2, 0)).toBe(0);
    expect(l.tryAcquire(1, 999)).toBe(1);
    expect(l.tryAcquire(1, 1000)).toBe(0);
  });

  it('caps the total across chats', () => {
    const l = new RateLimiter(parseRate('3/1s'), parseRate('1/1s'), 0);
    expect([1, 2, 3].map((c) => l.tryAcquire(c, 0))).toEqual([0, 0, 0]);
    expect(l.tryAcquire(4, 0)).toBeCloseTo(334, -1);
  });

  it('a chat that must wait does not spend a global token', () => {
    const l = new RateLimiter(parseRate('2/1s'), parseRate('1/1s'), 0);
    expect(l.tryAcquire(1, 0)).toBe(0);
    for (let i = 0; i < 5; i++) expect(l.tryAcquire(1, 0)).toBeGreaterThan(0);
    expect(l.tryAcquire(2, 0)).toBe(0);
  });

  it('pauses one chat after a 429 and leaves the others alone', () => {
    const l = new RateLimiter(parseRate('30/1s'), parseRate('5/1s'), 0);
    l.pauseChat(7, 0, 20_000);
    expect(l.tryAcquire(7, 10)).toBe(19_990);
    expect(l.tryAcquire(8, 10)).toBe(0);
    expect(l.tryAcquire(7, 20_000)).toBe(0);
  });

  it('forgets chats that went quiet', () => {
    const l = new RateLimiter(parseRate('30/1s'), parseRate('1/1s'), 0);
    l.tryAcquire(1, 0);
    l.tryAcquire(2, 0);
    l.pauseChat(3, 0, 60_000);
    expect(l.trackedChats).toBe(3);
    l.prune(5000);
    expect(l.trackedChats).toBe(1);
  });
});
