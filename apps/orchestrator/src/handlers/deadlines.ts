import { startLoop, transaction, type Logger, type Loop, type Sql } from '@neurocards/platform';
import * as store from '../adapters/store';
import { overallDeadlineMs } from '../domain/order';
import { Tally, type SagaMetrics } from '../adapters/metrics';
import { advanceJob } from './job-flow';

export interface SweeperDeps {
  sql: Sql;
  log: Logger;
  generationDeadlineMs: number;
  clock?: () => Date;
  metrics?: SagaMetrics;
}

/** Orders handled per transaction; the rest wait for the next round. */
const BATCH = 50;

/**
 * Fails every job still without a video past its overall deadline with reason `expired`
 * (emitting jobs.video.failed.v1, so billing refunds and the notifier tells the seller),
 * and completes the orders this finishes. Returns the number of jobs expired. A `ready`
 * job is left alone: its video exists, and the notifier either delivers it (however late)
 * or reports it undeliverable, which fails it then.
 */
export async function sweepExpired(deps: SweeperDeps): Promise<number> {
  const log = deps.log.child({ module: 'deadline-sweeper' });
  const now = (deps.clock ?? (() => new Date()))();
  const cutoff = new Date(now.getTime() - overallDeadlineMs(deps.generationDeadlineMs));
  let total = 0;
  for (;;) {
    const tally = new Tally();
    const { orders, expired } = await transaction(deps.sql, async (tx) => {
      const orderIds = await store.lockOverdueOrders(tx, cutoff, BATCH);
      let n = 0;
      for (const orderId of orderIds) {
        for (const jobId of await store.overdueJobIds(tx, orderId, cutoff)) {
          const step = await advanceJob(tx, jobId, { type: 'deadline_passed' }, { eventId: null, orderId, tally }, log.child({ orderId }));
          if (step?.kind === 'move') n++;
        }
      }
      return { orders: orderIds.length, expired: n };
    });
    tally.commit(deps.metrics);
    total += expired;
    // A full batch means more may wait; no progress means stop rather than spin.
    if (orders < BATCH || expired === 0) break;
  }
  if (total > 0) log.warn({ expired: total }, 'jobs expired past their overall deadline');
  return total;
}

/** Runs `sweepExpired` every `intervalMs` until stopped; a failing round is logged and retried next time. */
export function startSweeper(deps: SweeperDeps, intervalMs: number): Loop {
  return startLoop({
    name: 'deadline-sweeper',
    intervalMs,
    log: deps.log,
    async tick() {
      // sweepExpired works through every full batch itself: nothing more waits after it.
      await sweepExpired(deps);
      return false;
    },
  });
}
