/**
 * An account's KIE credit balance and its alert state (docs/design.md §3 KIE_CREDIT_ALERT). Pure:
 * the credit monitor keeps it in KV and enqueues the alert it decides.
 */
export interface CreditState {
  credits: number | null;
  checkedAt: number | null;
  /** The balance was below the threshold at the last check (an alert went out). */
  below: boolean;
  /** Crossings so far: each alert's id carries it, so one crossing alerts once. */
  seq: number;
  /** The balance first seen while the account's 402 block (ending `until`) was in force. */
  atBlock: { until: number; credits: number } | null;
}

export const emptyCreditState = (): CreditState => ({
  credits: null,
  checkedAt: null,
  below: false,
  seq: 0,
  atBlock: null,
});

/**
 * Whether a balance lifts the account's 402 block (`blockedUntil`, null when not blocked).
 * The first balance seen under a block is its baseline; a higher one later means credits were
 * added, and lifts it. A merely positive balance is not enough: KIE answers 402 when the
 * balance is below one video's price, so lifting on "positive" would fail one more video per
 * check while the balance stays just above zero.
 */
export function liftDecision(
  s: CreditState,
  credits: number,
  blockedUntil: number | null,
): { atBlock: CreditState['atBlock']; lift: boolean } {
  if (blockedUntil === null) return { atBlock: null, lift: false };
  if (!s.atBlock || s.atBlock.until !== blockedUntil)
    return { atBlock: { until: blockedUntil, credits }, lift: false };
  if (credits > s.atBlock.credits && credits > 0) return { atBlock: null, lift: true };
  return { atBlock: s.atBlock, lift: false };
}

/**
 * A new balance: `low` when it falls below the threshold (once per fall), `recovered` when it
 * is back at or above it (once per recovery), nothing otherwise or without a threshold.
 */
export function crossing(
  s: CreditState,
  credits: number,
  threshold: number | undefined,
  now: number,
): { next: CreditState; alert: 'low' | 'recovered' | null } {
  const base = { ...s, credits, checkedAt: now };
  if (threshold === undefined) return { next: base, alert: null };
  if (credits < threshold && !s.below)
    return { next: { ...base, below: true, seq: s.seq + 1 }, alert: 'low' };
  if (credits >= threshold && s.below) return { next: { ...base, below: false }, alert: 'recovered' };
  return { next: base, alert: null };
}
