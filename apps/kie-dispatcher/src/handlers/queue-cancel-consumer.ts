import { createEvent, deterministicId } from '@neurocards/contracts';
import { enqueue, transaction, type Handler, type Sql } from '@neurocards/platform';

/**
 * Cancels the order's videos not yet sent to KIE, for its seller: queued rows, and rows a
 * replica claimed but has not sent createTask for (its `markCreateSent` then finds the row
 * cancelled and stops). Each ends as `kie.task.failed.v1` with reason `cancelled` — the same
 * id as any other outcome of the job, so a job gets one outcome whichever path reports first —
 * and the orchestrator fails it, billing refunds exactly its credit. Returns how many.
 */
export async function cancelQueued(
  sql: Sql,
  o: { orderId: string; seller: string; now: Date; causationId: string },
): Promise<number> {
  return transaction(sql, (tx) => cancelQueuedIn(tx, o));
}

/** `cancelQueued` inside the caller's transaction. */
export async function cancelQueuedIn(
  tx: Sql,
  o: { orderId: string; seller: string; now: Date; causationId: string },
): Promise<number> {
  {
    const rows = await tx`
      update tasks set state = 'cancelled', outcome = 'cancelled', lease_until = null, updated_at = ${o.now}
      where order_id = ${o.orderId} and seller = ${o.seller}
        and (state = 'queued' or (state = 'submitting' and create_sent_at is null))
      returning job_id, attempt`;
    for (const r of rows) {
      await tx`insert into cancelled_jobs (job_id, cancelled_at) values (${r.job_id}, ${o.now}) on conflict do nothing`;
      await enqueue(
        tx,
        createEvent({
          subject: 'kie.task.failed.v1',
          id: deterministicId('kie.task.failed.v1', r.job_id as string),
          correlationId: o.orderId,
          causationId: o.causationId,
          data: {
            orderId: o.orderId,
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
  }
}

/** True when the order's seller asked to cancel its queued videos (see `createQueueCancelConsumer`). */
export async function orderCancelled(sql: Sql, orderId: string, seller: string): Promise<boolean> {
  const [r] = await sql`select 1 from cancelled_orders where order_id = ${orderId} and seller = ${seller}`;
  return r !== undefined;
}

/**
 * `kie.queue.cancel.v1`: the seller cancels the order's videos still waiting. Videos already
 * at KIE go on. The request is remembered for the order, so a video whose prompt was still
 * being written (its submit command comes later) is cancelled as it arrives. A request for
 * another seller's order cancels nothing. Redelivery finds nothing left to cancel.
 */
export function createQueueCancelConsumer(d: { sql: Sql; clock: () => number }): Handler<'kie.queue.cancel.v1'> {
  return async (event, ctx) => {
    const { orderId, userId } = event.data;
    const now = new Date(d.clock());
    const seller = String(userId);
    await d.sql`
      insert into cancelled_orders (order_id, seller, cancelled_at) values (${orderId}, ${seller}, ${now})
      on conflict do nothing`;
    const cancelled = await cancelQueued(d.sql, { orderId, seller, now, causationId: event.id });
    ctx.log.info({ orderId, userId, cancelled }, 'queued videos cancelled at the seller’s request');
  };
}
