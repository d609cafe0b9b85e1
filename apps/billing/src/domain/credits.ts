/**
 * The credits arithmetic, pure. Two-phase ledger (docs/design.md §2): a hold reserves
 * `count × creditsPerVideo` at order time; each video then either captures its price
 * (delivered) or releases it (failed).
 * Stars purchases add to the balance and their refunds take (part of) them back:
 * `balance = granted + purchased − refunded − captured − held`, and none ever goes negative.
 */

/** Running totals of one account, as kept on the `accounts` row. */
export interface Totals {
  granted: number;
  /** Credits bought with Stars. */
  purchased: number;
  /** Credits taken back by refunds of purchases. */
  refunded: number;
  captured: number;
  held: number;
}

export const EMPTY_TOTALS: Totals = Object.freeze({ granted: 0, purchased: 0, refunded: 0, captured: 0, held: 0 });

export const TOTAL_KEYS = ['granted', 'purchased', 'refunded', 'captured', 'held'] as const;

export type EntryKind = 'grant' | 'purchase' | 'refund' | 'hold' | 'capture' | 'release';

/** One ledger row, reduced to what the arithmetic needs. */
export interface Entry {
  kind: EntryKind;
  amount: number;
}

/** What the user can spend now. */
export function balanceOf(t: Totals): number {
  return t.granted + t.purchased - t.refunded - t.captured - t.held;
}

/** Thrown when an entry would break the invariant; callers treat it as a permanent error. */
export class InvariantViolation extends Error {
  readonly code = 'INVARIANT_VIOLATION';
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

/** The totals after one entry; throws InvariantViolation instead of going negative. */
export function apply(t: Totals, e: Entry): Totals {
  if (!Number.isInteger(e.amount) || e.amount <= 0)
    throw new InvariantViolation(`bad amount ${e.amount} for ${e.kind}`);
  let next: Totals;
  switch (e.kind) {
    case 'grant':
      next = { ...t, granted: t.granted + e.amount };
      break;
    case 'purchase':
      next = { ...t, purchased: t.purchased + e.amount };
      break;
    case 'refund':
      next = { ...t, refunded: t.refunded + e.amount };
      break;
    case 'hold':
      next = { ...t, held: t.held + e.amount };
      break;
    case 'capture':
      next = { ...t, held: t.held - e.amount, captured: t.captured + e.amount };
      break;
    case 'release':
      next = { ...t, held: t.held - e.amount };
      break;
    default: {
      const never: never = e.kind;
      throw new InvariantViolation(`unknown entry kind ${String(never)}`);
    }
  }
  if (next.held < 0) throw new InvariantViolation(`${e.kind} of ${e.amount} exceeds held ${t.held}`);
  if (balanceOf(next) < 0)
    throw new InvariantViolation(`${e.kind} of ${e.amount} exceeds balance ${balanceOf(t)}`);
  return next;
}

/** Replays a ledger from zero: what the account's totals must be. */
export function replay(entries: Iterable<Entry>): Totals {
  let t: Totals = EMPTY_TOTALS;
  for (const e of entries) t = apply(t, e);
  return t;
}

/** Differences between stored totals and the ledger's replay; empty when the invariant holds. */
export function auditAccount(stored: Totals, entries: Iterable<Entry>): string[] {
  let expected: Totals;
  try {
    expected = replay(entries);
  } catch (err) {
    return [`ledger does not replay: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  for (const k of TOTAL_KEYS) {
    if (stored[k] !== expected[k]) problems.push(`${k}: stored ${stored[k]}, ledger ${expected[k]}`);
  }
  if (balanceOf(stored) < 0) problems.push(`negative balance ${balanceOf(stored)}`);
  return problems;
}

export type ReservationDecision =
  | { kind: 'reserve'; amount: number; totals: Totals; balance: number }
  | { kind: 'reject'; requested: number; balance: number; reason: 'insufficient_credits' };

/**
 * Order time: hold the price of every video (`count × perVideo`), or nothing (docs/design.md §1,
 * step 6). `perVideo` is 1 for orders placed before models had prices.
 */
export function decideReservation(t: Totals, count: number, perVideo = 1): ReservationDecision {
  const balance = balanceOf(t);
  const requested = count * perVideo;
  if (requested > balance) return { kind: 'reject', requested, balance, reason: 'insufficient_credits' };
  const totals = apply(t, { kind: 'hold', amount: requested });
  return { kind: 'reserve', amount: requested, totals, balance: balanceOf(totals) };
}

/** How much of an order's hold is settled, in credits; one video settles `perVideo`. */
export interface HoldState {
  amount: number;
  captured: number;
  released: number;
  perVideo: number;
}

export type Settlement = 'capture' | 'release';

/** Settles one video's credits of a hold; throws InvariantViolation when not enough is left. */
export function settleHold(h: HoldState, how: Settlement): HoldState {
  if (h.captured + h.released + h.perVideo > h.amount) {
    throw new InvariantViolation(
      `hold of ${h.amount} is fully settled (${h.captured} captured, ${h.released} released)`,
    );
  }
  return how === 'capture'
    ? { ...h, captured: h.captured + h.perVideo }
    : { ...h, released: h.released + h.perVideo };
}

/**
 * How much of a refunded purchase of `credits` comes back off the balance: what is still
 * spendable, at most the purchase. Held credits are not spendable (they are promised to
 * videos in work), so the balance never goes below zero and no hold is broken.
 */
export function decideRefund(t: Totals, credits: number): { takenBack: number; notTakenBack: number } {
  const takenBack = Math.max(0, Math.min(balanceOf(t), credits));
  return { takenBack, notTakenBack: credits - takenBack };
}
