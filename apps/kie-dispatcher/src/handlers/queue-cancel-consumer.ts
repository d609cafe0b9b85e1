import { createEvent, deterministicId } from '@neurocards/contracts';
import { enqueue, transaction, type Handler, type Sql } from '@neurocards/platform';

/**
 * `kie.queue.cancel.v1`: the seller cancels the order's videos still waiting for a key.
 * Only rows never sent to KIE are cancelled (queued, or claimed by a replica that has not
 * sent createTask: its `markCreateSent` then finds the row cancelled and stops). Each one
 * ends as `kie.task.failed.v1` with reason `cancelled` — the same id as any other outcome of
 * the job, so a job gets one outcome whichever path reports first — and the orchestrator
 * fails it, billing refunds exactly its credit. Videos already at KIE go on. A request for
 * another seller's order cancels nothing. Redelivery finds nothing left to cancel.
 */
export function createQueueCancelConsumer(d: { sql: Sql; clock: () => number }): Handler<'kie.queue.cancel.v1'> {
  return async (event, ctx) => {
    const { orderId, userId } = event.data;
    const now = new Date(d.clock());
    const cancelled = await transaction(d.sql, async (tx) => {
      const rows = await tx`
        update tasks set state = 'cancelled', outcome = 'cancelled', lease_until = null, updated_at = ${now}
        where order_id = ${orderId} and seller = ${String(userId)}
          and (state = 'queued' or (state = 'submitting' and create_sent_at is null))
        returning job_id, order_id, attempt, submit_event_id`;
      for (const r of rows) {
        await tx`insert into cancelled_jobs (job_id, cancelled_at) values (${r.job_id}, ${now}) on conflict do nothing`;
        await enqueue(
          tx,
          createEvent({
            subject: 'kie.task.failed.v1',
            id: deterministicId('kie.task.failed.v1', r.job_id as string),
            correlationId: orderId,
            causationId: event.id,
            data: {
              orderId,
              jobId: r.job_id as string,
              attempt: r.attempt as number,
              taskId: null,
              reason: 'cancelled',
              lastErrorClass: null,
              code: null,
              message: 'cancelled by the seller while queued',
            },
          }),
        );
      }
      return rows.length;
    });
    ctx.log.info({ orderId, userId, cancelled }, 'queued videos cancelled at the seller’s request');
  };
}
