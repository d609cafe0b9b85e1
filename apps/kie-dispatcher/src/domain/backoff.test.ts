import { describe, expect, it } from 'vitest';
import { decideAfterFailure, type FailureInput } from './backoff';

const base: FailureInput = {
  class: 'transient',
  attempt: 1,
  deadline: false,
  billingFailover: false,
  failoversUsed: 0,
  otherHealthyKey: true,
};

describe('decideAfterFailure', () => {
  it.each([
    // class, attempt, deadline → decision
    ['transient', 1, false, { kind: 'retry', delayMs: 10_000, nextAttempt: 2, failover: false }],
    ['transient', 2, false, { kind: 'retry', delayMs: 20_000, nextAttempt: 3, failover: false }],
    ['transient', 3, false, { kind: 'fail', reason: 'exhausted' }],
    ['transient', 1, true, { kind: 'retry', delayMs: 10_000, nextAttempt: 2, failover: false }],
    ['transient', 3, true, { kind: 'fail', reason: 'expired' }],
    ['rate_limited', 1, false, { kind: 'retry', delayMs: 60_000, nextAttempt: 2, failover: false }],
    ['rate_limited', 2, false, { kind: 'retry', delayMs: 120_000, nextAttempt: 3, failover: false }],
    ['rate_limited', 3, false, { kind: 'fail', reason: 'exhausted' }],
    ['user_violation', 1, false, { kind: 'fail', reason: 'user_violation' }],
    ['user_violation', 2, false, { kind: 'fail', reason: 'user_violation' }],
    ['billing', 1, false, { kind: 'fail', reason: 'billing' }],
  ] as const)('%s on attempt %i (deadline %s)', (cls, attempt, deadline, expected) => {
    expect(decideAfterFailure({ ...base, class: cls, attempt, deadline })).toEqual(expected);
  });

  it('fails over once on billing when enabled and another key is healthy', () => {
    const b = { ...base, class: 'billing' as const, billingFailover: true };
    expect(decideAfterFailure(b)).toEqual({ kind: 'retry', delayMs: 0, nextAttempt: 2, failover: true });
    expect(decideAfterFailure({ ...b, failoversUsed: 1 })).toEqual({ kind: 'fail', reason: 'billing' });
    expect(decideAfterFailure({ ...b, otherHealthyKey: false })).toEqual({ kind: 'fail', reason: 'billing' });
    expect(decideAfterFailure({ ...b, attempt: 3 })).toEqual({ kind: 'fail', reason: 'billing' });
  });
});
