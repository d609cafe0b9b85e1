import type { FailureClass, KieErrorClass } from '@neurocards/contracts';
import { assertNever } from './classify';

/** Attempts per job in all (docs/design.md §1): the third failure ends the job. */
export const MAX_ATTEMPTS = 3;

/** Back-off before the next attempt, by the class of the failure and the attempt that failed. */
const BACKOFF_MS: Record<'rate_limited' | 'transient', readonly number[]> = {
  // 429: KIE's window is 10 s, but someone else is spending the account; give it a minute.
  rate_limited: [60_000, 120_000],
  transient: [10_000, 20_000],
};

/** Cool-down of a key after a 429 that carried no Retry-After. */
export const DEFAULT_COOLDOWN_MS = 60_000;
/** A key with an account error (401/402/433/505) is left alone this long; admins are alerted. */
export const BILLING_BLOCK_MS = 24 * 3600 * 1000;

export function backoffMs(cls: 'rate_limited' | 'transient', failedAttempt: number): number {
  const table = BACKOFF_MS[cls];
  return table[Math.min(Math.max(failedAttempt, 1), table.length) - 1]!;
}

export interface FailureInput {
  class: KieErrorClass;
  /** The attempt that failed (1-based). */
  attempt: number;
  /** The attempt ran out of GENERATION_DEADLINE (only `transient` failures can be this). */
  deadline: boolean;
  /** KIE_BILLING_FAILOVER. */
  billingFailover: boolean;
  /** Billing failovers this job already used (it gets one). */
  failoversUsed: number;
  /** Another key, neither blocked nor tried by this job, exists. */
  otherHealthyKey: boolean;
  /**
   * Attempts of this job that ended in a key's own cap (433) and were retried for free: they
   * do not count against MAX_ATTEMPTS (the video never reached a model).
   */
  freeRetries?: number;
}

/** A job moved off capped keys this often for free; after that a 433 counts like a transient error. */
export const MAX_FREE_RETRIES = 10;

export type Decision =
  | { kind: 'retry'; delayMs: number; nextAttempt: number; failover: boolean; free?: boolean }
  | { kind: 'fail'; reason: FailureClass };

/** What happens to a job after one of its attempts failed. Pure; table-tested. */
export function decideAfterFailure(i: FailureInput): Decision {
  const free = i.freeRetries ?? 0;
  // Attempts that count: those that reached a model (or failed for any reason but a cap).
  const last = i.attempt - free >= MAX_ATTEMPTS;
  switch (i.class) {
    case 'user_violation':
      return { kind: 'fail', reason: 'user_violation' };
    case 'billing':
      if (i.billingFailover && i.failoversUsed === 0 && i.otherHealthyKey && !last) {
        return { kind: 'retry', delayMs: 0, nextAttempt: i.attempt + 1, failover: true };
      }
      return { kind: 'fail', reason: 'billing' };
    // Our configuration (a withdrawn model, a bad parameter, a disabled feature): the same
    // request fails again, and it is never the seller's fault.
    case 'config':
      return { kind: 'fail', reason: 'config' };
    case 'key_capped':
      // That key's own cap: another key of the account (or another account) takes the video
      // at once, and the attempt is not counted. Bounded, so capped keys cannot loop a job.
      if (free < MAX_FREE_RETRIES)
        return { kind: 'retry', delayMs: 0, nextAttempt: i.attempt + 1, failover: false, free: true };
      if (last) return { kind: 'fail', reason: 'exhausted' };
      return { kind: 'retry', delayMs: 0, nextAttempt: i.attempt + 1, failover: false };
    case 'rate_limited':
    case 'transient':
      if (last) return { kind: 'fail', reason: i.deadline ? 'expired' : 'exhausted' };
      return {
        kind: 'retry',
        delayMs: backoffMs(i.class, i.attempt - free),
        nextAttempt: i.attempt + 1,
        failover: false,
      };
    default:
      return assertNever(i.class);
  }
}
