import { describe, expect, it } from 'vitest';
import {
  apply,
  auditAccount,
  balanceOf,
  decideRefund,
  decideReservation,
  EMPTY_TOTALS,
  InvariantViolation,
  replay,
  settleHold,
  type Entry,
} from './credits';

describe('apply', () => {
  it('moves credits between granted, held and captured', () => {
    const t = replay([
      { kind: 'grant', amount: 10 },
      { kind: 'hold', amount: 3 },
      { kind: 'capture', amount: 1 },
      { kind: 'release', amount: 1 },
    ]);
    expect(t).toEqual({ granted: 10, purchased: 0, refunded: 0, captured: 1, held: 1 });
    expect(balanceOf(t)).toBe(8);
  });

  it('refuses a hold beyond the balance', () => {
    expect(() => apply({ granted: 2, purchased: 0, refunded: 0, captured: 0, held: 0 }, { kind: 'hold', amount: 3 })).toThrow(
      InvariantViolation,
    );
  });

  it('refuses to capture or release more than is held', () => {
    const t = { granted: 5, purchased: 0, refunded: 0, captured: 0, held: 1 };
    expect(() => apply(t, { kind: 'capture', amount: 2 })).toThrow(/exceeds held/);
    expect(() => apply(t, { kind: 'release', amount: 2 })).toThrow(/exceeds held/);
  });

  it('refuses zero, negative and fractional amounts', () => {
    for (const amount of [0, -1, 1.5]) {
      expect(() => apply(EMPTY_TOTALS, { kind: 'grant', amount })).toThrow(/bad amount/);
    }
  });
});

describe('decideReservation', () => {
  it('holds the whole count when the balance covers it', () => {
    const d = decideReservation({ granted: 5, purchased: 0, refunded: 0, captured: 1, held: 1 }, 3);
    expect(d).toEqual({
      kind: 'reserve',
      amount: 3,
      totals: { granted: 5, purchased: 0, refunded: 0, captured: 1, held: 4 },
      balance: 0,
    });
  });

  it('rejects, holding nothing, when the balance is short by even one', () => {
    expect(decideReservation({ granted: 5, purchased: 0, refunded: 0, captured: 1, held: 2 }, 3)).toEqual({
      kind: 'reject',
      requested: 3,
      balance: 2,
      reason: 'insufficient_credits',
    });
    expect(decideReservation(EMPTY_TOTALS, 1).kind).toBe('reject');
  });
});

describe('settleHold', () => {
  it('settles one credit at a time until the hold is used up', () => {
    let h = { amount: 3, captured: 0, released: 0, perVideo: 1 };
    h = settleHold(h, 'capture');
    h = settleHold(h, 'release');
    h = settleHold(h, 'capture');
    expect(h).toEqual({ amount: 3, captured: 2, released: 1, perVideo: 1 });
    expect(() => settleHold(h, 'capture')).toThrow(/fully settled/);
    expect(() => settleHold(h, 'release')).toThrow(InvariantViolation);
  });
});

describe('priced videos', () => {
  it('holds count × price, or rejects naming the whole price', () => {
    expect(decideReservation({ granted: 10, purchased: 0, refunded: 0, captured: 0, held: 0 }, 3, 2)).toEqual({
      kind: 'reserve',
      amount: 6,
      totals: { granted: 10, purchased: 0, refunded: 0, captured: 0, held: 6 },
      balance: 4,
    });
    expect(decideReservation({ granted: 5, purchased: 0, refunded: 0, captured: 0, held: 0 }, 3, 2)).toEqual({
      kind: 'reject',
      requested: 6,
      balance: 5,
      reason: 'insufficient_credits',
    });
  });

  it('settles one video at its price until the hold is used up', () => {
    let h = { amount: 6, captured: 0, released: 0, perVideo: 2 };
    h = settleHold(h, 'capture');
    h = settleHold(h, 'release');
    expect(h).toEqual({ amount: 6, captured: 2, released: 2, perVideo: 2 });
    h = settleHold(h, 'capture');
    expect(() => settleHold(h, 'release')).toThrow(/fully settled/);
  });
});

describe('auditAccount', () => {
  const entries: Entry[] = [
    { kind: 'grant', amount: 5 },
    { kind: 'hold', amount: 3 },
    { kind: 'capture', amount: 1 },
  ];

  it('is empty when stored totals match the ledger', () => {
    expect(auditAccount({ granted: 5, purchased: 0, refunded: 0, captured: 1, held: 2 }, entries)).toEqual([]);
  });

  it('names each total that drifted from the ledger', () => {
    expect(auditAccount({ granted: 5, purchased: 0, refunded: 0, captured: 0, held: 2 }, entries)).toEqual([
      'captured: stored 0, ledger 1',
    ]);
  });

  it('reports a ledger that cannot be replayed without going negative', () => {
    expect(auditAccount(EMPTY_TOTALS, [{ kind: 'capture', amount: 1 }])[0]).toMatch(/does not replay/);
  });
});

describe('purchases and refunds', () => {
  const t0 = { granted: 0, purchased: 0, refunded: 0, captured: 0, held: 0 };

  it('a purchase adds to the balance, its refund takes back only what is spendable', () => {
    const bought = apply(t0, { kind: 'purchase', amount: 10 });
    const spent = apply(apply(bought, { kind: 'hold', amount: 2 }), { kind: 'capture', amount: 2 });
    expect(balanceOf(spent)).toBe(8);
    expect(decideRefund(spent, 10)).toEqual({ takenBack: 8, notTakenBack: 2 });
    const refunded = apply(spent, { kind: 'refund', amount: 8 });
    expect(balanceOf(refunded)).toBe(0);
  });

  it('never takes back held credits, and never more than the purchase', () => {
    const t = { ...t0, purchased: 10, granted: 5, held: 12 };
    expect(decideRefund(t, 10)).toEqual({ takenBack: 3, notTakenBack: 7 });
    expect(decideRefund({ ...t0, purchased: 10, granted: 50 }, 10)).toEqual({ takenBack: 10, notTakenBack: 0 });
    expect(decideRefund({ ...t0, purchased: 10, captured: 10 }, 10)).toEqual({ takenBack: 0, notTakenBack: 10 });
    expect(() => apply({ ...t0, purchased: 1 }, { kind: 'refund', amount: 2 })).toThrow(InvariantViolation);
  });
});
