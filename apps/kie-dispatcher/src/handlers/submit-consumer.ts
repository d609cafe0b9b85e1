import type { EventData } from '@neurocards/contracts';
import type { Handler, Sql } from '@neurocards/platform';
import { insertTask } from '../adapters/tasks-repo';
import { cancelQueued, orderCancelled } from './queue-cancel-consumer';
import { CATALOGUE, resolveDuration } from '../domain/models';

/**
 * The model and length a command asks for, defaults applied: the default model (first of
 * KIE_MODELS), the model's default length; a deprecated `nFrames` is read as seconds. A model
 * the catalogue does not know is kept as asked: the submission fails it with `config`.
 */
export function resolveSpec(
  cmd: EventData<'kie.task.submit.v1'>,
  defaultModel: string,
): { model: string; duration: number | null } {
  const model = cmd.model ?? defaultModel;
  const asked = cmd.duration ?? (cmd.nFrames ? Number(cmd.nFrames) : null);
  const row = CATALOGUE.get(model);
  return { model, duration: row ? resolveDuration(row, asked) : asked };
}

/**
 * `kie.task.submit.v1`: store the job as a queued task and ack. The KIE work itself is
 * state in Postgres, driven by the submission loop — never a held message or a sleeping
 * handler. A redelivered command finds the row and changes nothing.
 */
export function createSubmitConsumer(d: {
  sql: Sql;
  clock: () => number;
  defaultModel: string;
  onQueued?: () => void;
}): Handler<'kie.task.submit.v1'> {
  return async (event, ctx) => {
    const spec = resolveSpec(event.data, d.defaultModel);
    const inserted = await insertTask(d.sql, event.data, event.id, new Date(d.clock()), spec);
    ctx.log.info(
      { jobId: event.data.jobId, orderId: event.data.orderId, ...spec, duplicate: !inserted },
      inserted ? 'task queued' : 'task already known',
    );
    // The seller cancelled the order's queued videos while this one's prompt was written.
    const seller = event.data.seller !== undefined ? String(event.data.seller) : event.data.orderId;
    if (await orderCancelled(d.sql, event.data.orderId, seller)) {
      const n = await cancelQueued(d.sql, { orderId: event.data.orderId, seller, now: new Date(d.clock()), causationId: event.id });
      ctx.log.info({ jobId: event.data.jobId, orderId: event.data.orderId, cancelled: n }, 'order cancelled by its seller; task cancelled');
      return;
    }
    if (inserted) d.onQueued?.();
  };
}
