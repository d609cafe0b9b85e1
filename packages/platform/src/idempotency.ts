import { transaction, type Sql } from './postgres';

export type OnceResult<T> = { duplicate: true } | { duplicate: false; value: T };

/**
 * Runs `fn` in a transaction that also records (consumer, eventId) as processed. If the
 * event was processed before, `fn` does not run. The record and the effect commit
 * together, so a redelivered message never applies its effect twice.
 *
 * The scope is the consumer's durable name, taken from the handler's context
 * (`processOnce(sql, ctx, event.id, …)`), so no handler spells it by hand.
 */
export async function processOnce<T>(
  sql: Sql,
  scope: { readonly durable: string },
  eventId: string,
  fn: (tx: Sql) => Promise<T>,
): Promise<OnceResult<T>> {
  return transaction(sql, async (tx) => {
    const inserted = await tx`
      insert into processed_events (consumer, event_id) values (${scope.durable}, ${eventId})
      on conflict do nothing
      returning 1`;
    if (inserted.length === 0) return { duplicate: true } as const;
    return { duplicate: false, value: await fn(tx) } as const;
  });
}
