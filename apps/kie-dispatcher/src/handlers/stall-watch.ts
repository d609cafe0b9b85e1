import { createEvent, deterministicId } from '@neurocards/contracts';
import { enqueue, transaction, type Logger, type Sql } from '@neurocards/platform';
import { decideStall } from '../domain/stall';

export interface StallWatchDeps {
  sql: Sql;
  clock: () => number;
  /** QUEUE_STALL_ALERT. */
  afterMs: number;
  log: Logger;
}

/**
 * One look at the queue: a new stall episode publishes `kie.queue.stalled.v1`, its end
 * `kie.queue.recovered.v1` (admins alerted by the notifier). The episode row is taken and
 * released under a lock, with the event in the same transaction (outbox), so replicas
 * watching side by side announce each episode once.
 */
export async function watchStall(d: StallWatchDeps): Promise<'stall' | 'recover' | 'none'> {
  return transaction(d.sql, async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('kie-queue-stall'))`;
    const now = d.clock();
    const [ep] = await tx`select since from queue_stall`;
    const [w] = await tx`
      select count(*)::int as n, min(queued_at) as oldest from tasks
      where state = 'queued' or (state = 'submitting' and create_sent_at is null)`;
    const [last] = await tx`
      select create_sent_at from tasks where create_sent_at is not null order by create_sent_at desc limit 1`;
    const stalledSince = ep ? (ep.since as Date).getTime() : null;
    const waiting = (w?.n as number) ?? 0;
    const decision = decideStall({
      now,
      stalledSince,
      waiting,
      oldestWaitingAt: w?.oldest ? (w.oldest as Date).getTime() : null,
      lastSubmitAt: last ? (last.create_sent_at as Date).getTime() : null,
      afterMs: d.afterMs,
    });
    switch (decision.kind) {
      case 'none':
        return 'none';
      case 'stall': {
        const since = new Date(decision.since).toISOString();
        await tx`insert into queue_stall (since) values (${new Date(decision.since)})`;
        await enqueue(
          tx,
          createEvent({
            subject: 'kie.queue.stalled.v1',
            id: deterministicId('kie.queue.stalled.v1', since),
            correlationId: deterministicId('kie-queue-stall', since),
            data: { since, waiting },
          }),
        );
        d.log.error({ since, waiting }, 'nothing submitted to KIE while videos wait; admins alerted');
        return 'stall';
      }
      case 'recover': {
        const since = new Date(stalledSince!).toISOString();
        await tx`delete from queue_stall`;
        await enqueue(
          tx,
          createEvent({
            subject: 'kie.queue.recovered.v1',
            id: deterministicId('kie.queue.recovered.v1', since),
            correlationId: deterministicId('kie-queue-stall', since),
            data: { since, waiting },
          }),
        );
        d.log.warn({ since, waiting }, 'the KIE queue moves again');
        return 'recover';
      }
    }
  });
}
