import { describe, expect, it } from 'vitest';
import { moscowDayStart, orderOutcome, overallDeadlineMs } from './order';

describe('orderOutcome', () => {
  it('is complete only when every expected job is delivered or failed', () => {
    expect(orderOutcome(['delivered', 'failed', 'delivered'], 3)).toEqual({ complete: true, delivered: 2, failed: 1 });
    expect(orderOutcome(['delivered', 'ready', 'failed'], 3)).toEqual({ complete: false, delivered: 1, failed: 1 });
    expect(orderOutcome(['delivered'], 3).complete).toBe(false);
    expect(orderOutcome([], 0).complete).toBe(false);
  });
});

describe('overallDeadlineMs', () => {
  it('allows three attempts plus ten minutes', () => {
    expect(overallDeadlineMs(30 * 60_000)).toBe(100 * 60_000);
  });
});

describe('moscowDayStart', () => {
  it('starts the day at 00:00 Moscow time (21:00 UTC the day before)', () => {
    expect(moscowDayStart(new Date('2026-03-10T12:00:00Z')).toISOString()).toBe('2026-03-09T21:00:00.000Z');
    // 22:30 UTC is already the next Moscow day.
    expect(moscowDayStart(new Date('2026-03-10T22:30:00Z')).toISOString()).toBe('2026-03-10T21:00:00.000Z');
    expect(moscowDayStart(new Date('2026-03-10T21:00:00Z')).toISOString()).toBe('2026-03-10T21:00:00.000Z');
  });
});
