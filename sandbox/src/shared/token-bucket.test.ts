import { describe, expect, it } from 'vitest';
import { SlidingWindow, TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows the burst, then asks to wait about 1/rate', () => {
    const b = new TokenBucket(1, 2, 0);
    expect(b.take(0).ok).toBe(true);
    expect(b.take(0).ok).toBe(true);
    const third = b.take(0);
    expect(third).toEqual({ ok: false, retryAfterMs: 1000 });
    expect(b.take(1000).ok).toBe(true);
  });
});

describe('SlidingWindow', () => {
  it('refuses the 21st hit inside 10 s and allows it after the window', () => {
    const w = new SlidingWindow(20, 10_000);
    for (let i = 0; i < 20; i++) expect(w.hit(i).ok).toBe(true);
    const refused = w.hit(500);
    expect(refused.ok).toBe(false);
    expect(w.hit(10_001).ok).toBe(true);
  });
});
