/**
 * An account's KIE credit balance and its alert state (design §3 KIE_CREDIT_ALERT). Pure:
 * the credit monitor keeps it in KV and enqueues the alert it decides.
 */
export interface CreditState {
  credits: number | null;
  checkedAt: number | null;
  /** The balance was below the threshold at the last check (an alert went out). */
  below: boolean;
  /** Crossings so far: each alert's id carries it, so one crossing alerts once. */
  seq: number;
}

export const emptyCreditState = (): CreditState => ({ credits: null, checkedAt: null, below: false, seq: 0 });

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
  if (credits < threshold && !s.below) return { next: { ...base, below: true, seq: s.seq + 1 }, alert: 'low' };
  if (credits >= threshold && s.below) return { next: { ...base, below: false }, alert: 'recovered' };
  return { next: base, alert: null };
}
