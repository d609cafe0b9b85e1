import type { FailureClass } from '@neurocards/contracts';
import { isTerminal, type JobState } from './job-state';

export interface OrderOutcome {
  /** Every job of the order has an outcome. */
  complete: boolean;
  delivered: number;
  failed: number;
}

/**
 * Whether an order is complete, from the states of its jobs. `expected` guards against
 * deciding on a partial list (the jobs are inserted together, but be strict anyway).
 */
export function orderOutcome(states: readonly JobState[], expected: number): OrderOutcome {
  const delivered = states.filter((s) => s === 'delivered').length;
  const failed = states.filter((s) => s === 'failed').length;
  const complete = states.length === expected && expected > 0 && states.every(isTerminal);
  return { complete, delivered, failed };
}

/** How a finished order counts in `neurocards_orders_total`. */
export type OrderMetricOutcome = 'completed' | 'partial' | 'failed' | 'cancelled';

/**
 * Every video delivered: completed; some: partial; none, because the seller cancelled every
 * one that failed: cancelled; none otherwise: failed.
 */
export function orderMetricOutcome(delivered: number, failures: readonly FailureClass[]): OrderMetricOutcome {
  if (failures.length === 0) return 'completed';
  if (delivered > 0) return 'partial';
  return failures.every((f) => f === 'cancelled') ? 'cancelled' : 'failed';
}

/** The kie-dispatcher makes up to this many attempts, each bounded by GENERATION_DEADLINE. */
export const MAX_ATTEMPTS = 3;
/** Slack for the prompt step and queueing between attempts. */
export const DEADLINE_SLACK_MS = 10 * 60_000;

/**
 * The overall deadline of a job, counted from KIE's acceptance of its latest attempt (from
 * its creation while its prompt is written; never while it waits in the dispatcher's queue:
 * waiting is not failing). The per-attempt deadline is the
 * dispatcher's; this one is the backstop that releases the held credit of a job that got
 * no video (an event lost, a service stuck). It does not apply to a `ready` job: once the
 * video exists, its outcome is the notifier's (sent or undeliverable), however late.
 */
export function overallDeadlineMs(generationDeadlineMs: number): number {
  return MAX_ATTEMPTS * generationDeadlineMs + DEADLINE_SLACK_MS;
}

/** Moscow has been UTC+3 all year since 2014 (no daylight saving). */
const MOSCOW_OFFSET_MS = 3 * 3600_000;

/** Start of the Moscow calendar day containing `now`, as an instant. */
export function moscowDayStart(now: Date): Date {
  const shifted = now.getTime() + MOSCOW_OFFSET_MS;
  const dayStartShifted = shifted - (((shifted % 86_400_000) + 86_400_000) % 86_400_000);
  return new Date(dayStartShifted - MOSCOW_OFFSET_MS);
}
