import type { Handler, Sql } from '@neurocards/platform';
import { cancelTask } from '../adapters/tasks-repo';

/**
 * `jobs.video.failed.v1`: the job failed for good (e.g. the orchestrator expired it), so its
 * KIE work is cancelled — no credits spent on a video nobody will receive. A queued,
 * submitting or running task becomes `cancelled` (the loops skip it; a later callback or
 * poll result changes nothing); a task that already ended stays as it is. No event follows:
 * the job's outcome is already known. Idempotent without bookkeeping.
 */
export function createVideoFailedConsumer(d: {
  sql: Sql;
  clock: () => number;
}): Handler<'jobs.video.failed.v1'> {
  return async (event, ctx) => {
    const { jobId, orderId } = event.data;
    const cancelled = await cancelTask(d.sql, jobId, new Date(d.clock()));
    ctx.log.info(
      { jobId, orderId, reason: event.data.reason, cancelled },
      cancelled
        ? 'job failed elsewhere; its KIE task is cancelled'
        : 'job failed elsewhere; no KIE task to cancel',
    );
  };
}
