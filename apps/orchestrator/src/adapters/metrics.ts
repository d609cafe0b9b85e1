import { Counter, Histogram, type Registry } from 'prom-client';
import type { FailureClass } from '@neurocards/contracts';
import { metricClass, metricOf } from '@neurocards/platform';
import type { OrderMetricOutcome } from '../domain/order';

/** The saga's business metrics (docs/design.md, "Metrics"). */
export interface SagaMetrics {
  /** A job reached `delivered` (reason null) or `failed`. */
  videoFinished(reason: FailureClass | null): void;
  orderFinished(outcome: OrderMetricOutcome): void;
  /** Credits reserved → the order's first video in the chat. */
  firstVideoWait(seconds: number): void;
}

export function createSagaMetrics(registry: Registry): SagaMetrics {
  const videos = metricOf(
    registry,
    'neurocards_videos_total',
    () =>
      new Counter({
        name: 'neurocards_videos_total',
        help: 'Videos finished, by outcome (delivered, failed) and failure class (none when delivered)',
        labelNames: ['outcome', 'class'],
        registers: [registry],
      }),
  );
  const orders = metricOf(
    registry,
    'neurocards_orders_total',
    () =>
      new Counter({
        name: 'neurocards_orders_total',
        help: 'Orders finished, by outcome (completed, partial, failed, cancelled)',
        labelNames: ['outcome'],
        registers: [registry],
      }),
  );
  const wait = metricOf(
    registry,
    'neurocards_first_video_wait_seconds',
    () =>
      new Histogram({
        name: 'neurocards_first_video_wait_seconds',
        help: "From an order's credits reserved to its first video delivered",
        // The seller's wait: half a minute at best, an evening peak's queue at worst.
        buckets: [30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600],
        registers: [registry],
      }),
  );
  return {
    videoFinished: (reason) =>
      videos.inc({ outcome: reason === null ? 'delivered' : 'failed', class: metricClass(reason) }),
    orderFinished: (outcome) => orders.inc({ outcome }),
    firstVideoWait: (seconds) => wait.observe(Math.max(0, seconds)),
  };
}

/**
 * Observations made inside a transaction, applied only once it commits: a handler whose
 * transaction rolls back (and is redelivered) counts nothing, and a redelivery that finds
 * the step done (the state machine ignores it) adds nothing. One tally per transaction.
 */
export class Tally {
  private readonly pending: Array<(m: SagaMetrics) => void> = [];

  add(observe: (m: SagaMetrics) => void): void {
    this.pending.push(observe);
  }

  /** Call after the commit; a no-op without metrics (tests that do not read them). */
  commit(metrics: SagaMetrics | undefined): void {
    if (metrics) for (const observe of this.pending.splice(0)) observe(metrics);
  }
}
