import { describe, expect, it } from 'vitest';
import { gcraOf, gcraPause, gcraRefund, gcraReserve, gcraTry, type Gcra } from './gcra';

const perSecond = (count: number): Gcra => gcraOf({ count, periodMs: 1000 });

/** Sends as many as the bucket allows at each instant of `times`; returns the count taken. */
function drain(g: Gcra, times: number[], reserveMs = 0): number {
  let tat = 0;
  let taken = 0;
  for (const t of times) {
    for (;;) {
      const r = gcraTry(g, tat, t, reserveMs);
      if (!r.ok) break;
      tat = r.tat;
      taken++;
    }
  }
  return taken;
}

describe('gcra', () => {
  it('allows a burst of count, then one per interval', () => {
    const g = perSecond(10);
    expect(drain(g, [0])).toBe(10);
    // 10 more over the next second (one every 100 ms), and no more.
    expect(drain(g, [0, ...Array.from({ length: 10 }, (_, i) => (i + 1) * 100)])).toBe(20);
  });

  it('never lets more than count + rate × t through in any window', () => {
    const g = perSecond(28);
    const times = Array.from({ length: 3000 }, (_, i) => i); // a try every millisecond for 3 s
    expect(drain(g, times)).toBeLessThanOrEqual(28 + 28 * 3);
    expect(drain(g, times)).toBeGreaterThanOrEqual(28 * 3);
  });

  it('one per second per chat: a second message waits the rest of the second', () => {
    const g = perSecond(1);
    const first = gcraTry(g, 0, 5000);
    expect(first).toEqual({ ok: true, tat: 6000 });
    expect(gcraTry(g, 6000, 5400)).toEqual({ ok: false, waitMs: 600 });
    expect(gcraTry(g, 6000, 6000).ok).toBe(true);
  });

  it('a smaller burst keeps any one-second window at rate + burst', () => {
    const g = gcraOf({ count: 27, periodMs: 1000 }, 3);
    expect(drain(g, [0])).toBe(3);
    expect(
      drain(
        g,
        Array.from({ length: 1001 }, (_, i) => i),
      ),
    ).toBe(30);
  });

  it('a try leaves the reserved share of the burst to priority senders', () => {
    const g = perSecond(30);
    const reserve = 10 * g.intervalMs;
    expect(drain(g, [0], reserve)).toBe(20);
    // What is left is there for reservations, at once.
    let tat = 20 * g.intervalMs;
    for (let i = 0; i < 10; i++) {
      const r = gcraReserve(g, tat, 0);
      expect(r.at).toBe(0);
      tat = r.tat;
    }
    expect(gcraReserve(g, tat, 0).at).toBeGreaterThan(0);
  });

  it('a reservation queues ahead of later tries', () => {
    const g = perSecond(1);
    const r = gcraReserve(g, 1000, 500); // the chat's slot is taken until 1000
    expect(r.at).toBe(1000);
    expect(gcraTry(g, r.tat, 1000)).toEqual({ ok: false, waitMs: 1000 });
  });

  it('a refund gives the slot back; a pause holds everything until then', () => {
    const g = perSecond(1);
    const taken = gcraTry(g, 0, 100);
    if (!taken.ok) throw new Error('expected a slot');
    expect(gcraTry(g, gcraRefund(g, taken.tat), 100).ok).toBe(true);
    const paused = gcraPause(g, 0, 5000);
    expect(gcraTry(g, paused, 4999)).toEqual({ ok: false, waitMs: 1 });
    expect(gcraTry(g, paused, 5000).ok).toBe(true);
    const burst = perSecond(30);
    expect(gcraTry(burst, gcraPause(burst, 0, 5000), 4000).ok).toBe(false);
  });
});
