import type { Sql } from '@neurocards/platform';
import type { Handler } from '@neurocards/platform';
import { insertTask } from '../adapters/tasks-repo';

/**
 * `kie.task.submit.v1`: store the job as a queued task and ack. The KIE work itself is
 * state in Postgres, driven by the submission loop — never a held message or a sleeping
 * handler. A redelivered command finds the row and changes nothing.
 */
export function createSubmitConsumer(d: {
  sql: Sql;
  clock: () => number;
  onQueued?: () => void;
}): Handler<'kie.task.submit.v1'> {
  return async (event, ctx) => {
    const inserted = await insertTask(d.sql, event.data, event.id, new Date(d.clock()));
    ctx.log.info(
      { jobId: event.data.jobId, orderId: event.data.orderId, duplicate: !inserted },
      inserted ? 'task queued' : 'task already known',
    );
    if (inserted) d.onQueued?.();
  };
}
