import { describe, expect, it } from 'vitest';
import { nextPollDelayMs, takeTokens } from './poll-schedule';

describe('poll token bucket', () => {
  it('grants one second of budget, then refills with time', () => {
    const first = takeTokens(null, 1000, 5, 8);
    expect(first.granted).toBe(5);
    expect(takeTokens(first.bucket, 1000, 5, 8).granted).toBe(0);
    expect(takeTokens(first.bucket, 1400, 5, 8).granted).toBe(2);
    expect(takeTokens(first.bucket, 9000, 5, 3).granted).toBe(3);
  });

  it('adds nothing for a clock behind the last write', () => {
    const empty = takeTokens(null, 5000, 5, 5).bucket;
    const behind = takeTokens(empty, 4000, 5, 5);
    expect(behind.granted).toBe(0);
    expect(behind.bucket.at).toBe(5000);
  });

  it('polls often while a task is young, rarely later', () => {
    expect(nextPollDelayMs(0)).toBeLessThan(nextPollDelayMs(10 * 60_000));
  });
});
