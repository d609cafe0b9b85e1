import { describe, expect, it } from 'vitest';
import {
  allBlocked,
  block,
  capacity,
  coolDown,
  emptyKeyState,
  health,
  rankKeys,
  unanswered,
  type KeyState,
} from './keys';
import { releaseSlot, takeSlot } from './slots';

const rate = { limit: 3, windowMs: 10_000 };
const now = 1_000_000;

describe('rate window', () => {
  const limits = { rate, parallel: 100, maxInFlight: 100, inFlight: 0, ttlMs: 60_000 };
  const take = (s: KeyState, at: number, id = `id-${at}`) => takeSlot(s, at, id, limits);

  it('takes slots until the window is full, then refuses', () => {
    let s: KeyState | null = emptyKeyState();
    for (let i = 0; i < 3; i++) {
      s = take(s!, now + i);
      expect(s).not.toBeNull();
    }
    expect(take(s!, now + 3)).toBeNull();
    // Answered at once: each leaves the window 10 s after its answer.
    for (let i = 0; i < 3; i++) s = releaseSlot(s!, `id-${now + i}`, now + i, rate);
    expect(take(s!, now + 9_999)).toBeNull();
    expect(take(s!, now + 10_000)?.recent).toEqual([now + 1, now + 2]);
  });

  it('counts an unanswered submission until its latest possible arrival plus the window', () => {
    const s = take(emptyKeyState(), now, 'slow')!;
    const limits1 = { ...limits, rate: { limit: 1, windowMs: 10_000 } };
    expect(takeSlot(s, now + 30_000, 'b', limits1)).toBeNull();
    expect(takeSlot(s, now + 60_000 + 10_000, 'b', limits1)).not.toBeNull();
    expect(releaseSlot(s, 'unknown', now, rate)).toBeNull();
    expect(releaseSlot(s, 'slow', null, rate)).toMatchObject({ pending: [], recent: [] });
  });

  it('holds at most `parallel` unanswered calls and respects KIE_MAX_IN_FLIGHT', () => {
    let s: KeyState | null = emptyKeyState();
    s = takeSlot(s, now, 'a', { ...limits, parallel: 2 });
    s = takeSlot(s!, now, 'b', { ...limits, parallel: 2 });
    expect(takeSlot(s!, now, 'c', { ...limits, parallel: 2 })).toBeNull();
    expect(unanswered(s!, now)).toBe(2);
    expect(takeSlot(s!, now, 'c', { ...limits, maxInFlight: 3, inFlight: 1 })).toBeNull();
    expect(takeSlot(s!, now, 'c', { ...limits, maxInFlight: 4, inFlight: 1 })).not.toBeNull();
  });

  it('counts submissions stamped later than its own clock read (replica clock skew)', () => {
    const full = { ...emptyKeyState(), recent: [now + 5, now + 6, now + 7] };
    expect(take(full, now)).toBeNull();
    const two = { ...emptyKeyState(), recent: [now + 5, now + 6] };
    expect(take(two, now)?.recent).toEqual([now + 5, now + 6]);
  });

  it('refuses a cooling or blocked key', () => {
    const limits = { rate, parallel: 3, maxInFlight: 100, inFlight: 0, ttlMs: 60_000 };
    expect(takeSlot(coolDown(emptyKeyState(), now + 1), now, 'x', limits)).toBeNull();
    expect(takeSlot(coolDown(emptyKeyState(), now), now, 'x', limits)).not.toBeNull();
    expect(
      takeSlot(block(emptyKeyState(), now, now + 5, 402, 'no credits').state, now, 'x', limits),
    ).toBeNull();
  });

  it('keeps the longer cool-down', () => {
    expect(coolDown(coolDown(emptyKeyState(), now + 100), now + 50).coolUntil).toBe(now + 100);
  });

  it('blocks once: a second block while blocked is not new', () => {
    const first = block(emptyKeyState(), now, now + 100, 402, 'no credits');
    expect(first.newly).toBe(true);
    const second = block(first.state, now + 1, now + 200, 401, 'again');
    expect(second.newly).toBe(false);
    expect(second.state.blockedUntil).toBe(now + 100);
    expect(block(first.state, now + 101, now + 300, 402, 'expired block').newly).toBe(true);
  });
});

describe('capacity and ranking', () => {
  it('is the smaller of window room and in-flight room', () => {
    expect(capacity(emptyKeyState(), 0, 100, now, rate)).toBe(3);
    expect(capacity(emptyKeyState(), 99, 100, now, rate)).toBe(1);
    expect(capacity(emptyKeyState(), 100, 100, now, rate)).toBe(0);
    expect(capacity(coolDown(emptyKeyState(), now + 1), 0, 100, now, rate)).toBe(0);
  });

  it('ranks healthy keys by free capacity and skips full, cooling, blocked and excluded ones', () => {
    const used = { ...emptyKeyState(), recent: [now - 1] };
    const keys = [
      { name: 'a', state: used, inFlight: 0 },
      { name: 'b', state: emptyKeyState(), inFlight: 0 },
      { name: 'c', state: coolDown(emptyKeyState(), now + 1), inFlight: 0 },
      { name: 'd', state: block(emptyKeyState(), now, now + 1, 402, 'x').state, inFlight: 0 },
      { name: 'e', state: emptyKeyState(), inFlight: 100 },
      { name: 'f', state: emptyKeyState(), inFlight: 0 },
    ];
    expect(rankKeys(keys, { now, rate, maxInFlight: 100 })).toEqual(['b', 'f', 'a']);
    expect(rankKeys(keys, { now, rate, maxInFlight: 100, exclude: ['b'] })).toEqual(['f', 'a']);
  });

  it('knows when every key is blocked', () => {
    const blocked = block(emptyKeyState(), now, now + 1, 402, 'x').state;
    expect(allBlocked([{ state: blocked }, { state: blocked }], now)).toBe(true);
    expect(allBlocked([{ state: blocked }, { state: coolDown(emptyKeyState(), now + 5) }], now)).toBe(false);
    expect(health(blocked, now + 1).state).toBe('ok');
  });
});
