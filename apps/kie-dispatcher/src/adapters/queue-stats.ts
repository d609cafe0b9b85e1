import type { Sql } from '@neurocards/platform';
import type { Waiting } from '../domain/fair-queue';

/**
 * The videos still waiting to be sent to KIE (queued, backing off, or claimed but not sent),
 * for the fair order of the whole queue, and the sellers' last turns.
 */
export async function waitingVideos(sql: Sql): Promise<{ waiting: Waiting[]; served: Map<string, number> }> {
  const [rows, turns] = await Promise.all([
    sql`
      select job_id, seller, order_id, job_index, queued_at from tasks
      where state = 'queued' or (state = 'submitting' and create_sent_at is null)`,
    sql`select seller, last_turn from seller_turns`,
  ]);
  return {
    waiting: rows.map((r) => ({
      id: r.job_id as string,
      seller: r.seller as string,
      order: r.order_id as string,
      index: r.job_index as number,
      queuedAt: (r.queued_at as Date).getTime(),
    })),
    served: new Map(turns.map((t) => [t.seller as string, Number(t.last_turn)])),
  };
}

/** Tasks KIE accepted since `since`, by key (the dispatcher maps keys to accounts). */
export async function submissionsSince(sql: Sql, since: Date): Promise<Map<string, number>> {
  const rows = await sql`
    select key_name, count(*)::int as n from tasks
    where submitted_at > ${since} and key_name is not null group by key_name`;
  return new Map(rows.map((r) => [r.key_name as string, r.n as number]));
}

/** True when some video has waited since `since` without being sent: the queue was never empty. */
export async function backloggedSince(sql: Sql, since: Date): Promise<boolean> {
  const [r] = await sql`
    select exists (select 1 from tasks
                   where (state = 'queued' or (state = 'submitting' and create_sent_at is null))
                     and queued_at <= ${since}) as b`;
  return Boolean(r?.b);
}

/** The model's median generation time (KIE acceptance → success) over tasks finished since `since`. */
export async function medianGenerationSeconds(sql: Sql, model: string, since: Date): Promise<number | null> {
  const [r] = await sql`
    select percentile_cont(0.5) within group (order by extract(epoch from updated_at - submitted_at)) as s
    from tasks
    where state = 'succeeded' and model = ${model} and submitted_at is not null and updated_at > ${since}`;
  return r?.s === null || r?.s === undefined ? null : Number(r.s);
}
