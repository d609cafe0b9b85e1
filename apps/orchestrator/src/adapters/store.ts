import type { AspectRatio, EventData, FailureClass, Locale, PhotoRef, TemplateId, VideoCount } from '@neurocards/contracts';
import type { Sql } from '@neurocards/platform';
import type { JobState } from '../domain/job-state';

/**
 * SQL for orders and jobs. Every function takes the pool or a transaction; the handlers
 * decide the transaction boundaries. Lock order everywhere: the order row, then its jobs.
 */

export type OrderStatus = 'placed' | 'active' | 'rejected' | 'completed';

export interface OrderRow {
  orderId: string;
  userId: number;
  chatId: number;
  locale: Locale;
  status: OrderStatus;
  template: TemplateId | null;
  wishes: string | null;
  count: VideoCount | null;
  photo: PhotoRef | null;
  generationStartedAt: Date | null;
  /** The order's video spec; null for orders placed before the catalogue. */
  model: string | null;
  aspectRatio: AspectRatio | null;
  duration: number | null;
  creditsPerVideo: number | null;
}

export interface JobRow {
  jobId: string;
  orderId: string;
  index: number;
  state: JobState;
  attempt: number;
  taskId: string | null;
  prompt: string | null;
  createdAt: Date;
}

type Db = Sql;

const ORDER_COLUMNS = `order_id, user_id, chat_id, locale, status, template, wishes, count, photo, generation_started_at,
  model, aspect_ratio, duration, credits_per_video`;
const JOB_COLUMNS = `job_id, order_id, video_index, state, attempt, task_id, prompt, created_at`;

interface RawOrder {
  order_id: string;
  user_id: string;
  chat_id: string;
  locale: Locale;
  status: OrderStatus;
  template: TemplateId | null;
  wishes: string | null;
  count: number | null;
  photo: PhotoRef | null;
  generation_started_at: Date | null;
  model: string | null;
  aspect_ratio: AspectRatio | null;
  duration: number | null;
  credits_per_video: number | null;
}

interface RawJob {
  job_id: string;
  order_id: string;
  video_index: number;
  state: JobState;
  attempt: number;
  task_id: string | null;
  prompt: string | null;
  created_at: Date;
}

const toOrder = (r: RawOrder): OrderRow => ({
  orderId: r.order_id,
  // bigint columns come back as strings; Telegram ids fit in a double exactly.
  userId: Number(r.user_id),
  chatId: Number(r.chat_id),
  locale: r.locale,
  status: r.status,
  template: r.template,
  wishes: r.wishes,
  count: r.count as VideoCount | null,
  photo: r.photo,
  generationStartedAt: r.generation_started_at,
  model: r.model,
  aspectRatio: r.aspect_ratio,
  duration: r.duration,
  creditsPerVideo: r.credits_per_video,
});

const toJob = (r: RawJob): JobRow => ({
  jobId: r.job_id,
  orderId: r.order_id,
  index: r.video_index,
  state: r.state,
  attempt: r.attempt,
  taskId: r.task_id,
  prompt: r.prompt,
  createdAt: r.created_at,
});

/** Remembers the order's details from orders.order.placed; a repeat changes nothing. */
export async function insertPlacedOrder(db: Db, d: EventData<'orders.order.placed.v1'>): Promise<boolean> {
  const rows = await db`
    insert into orders (order_id, user_id, chat_id, locale, status, template, wishes, count, photo, placed_at,
                        model, aspect_ratio, duration, credits_per_video)
    values (${d.orderId}, ${d.userId}, ${d.chatId}, ${d.locale}, 'placed', ${d.template}, ${d.wishes},
            ${d.count}, ${db.json(d.photo as never)}, now(),
            ${d.spec?.model ?? null}, ${d.spec?.aspectRatio ?? null}, ${d.spec?.duration ?? null},
            ${d.creditsPerVideo ?? null})
    on conflict (order_id) do nothing
    returning 1`;
  return rows.length > 0;
}

/** Records a rejection, whether or not the placement was seen first. */
export async function rejectOrder(db: Db, d: EventData<'billing.credits.rejected.v1'>): Promise<boolean> {
  const rows = await db`
    insert into orders (order_id, user_id, chat_id, locale, status, rejected_at, reject_reason)
    values (${d.orderId}, ${d.userId}, ${d.chatId}, ${d.locale}, 'rejected', now(), ${d.reason})
    on conflict (order_id) do update
      set status = 'rejected', rejected_at = now(), reject_reason = excluded.reject_reason, updated_at = now()
      where orders.status = 'placed'
    returning 1`;
  return rows.length > 0;
}

export async function findOrder(db: Db, orderId: string, opts: { lock?: boolean } = {}): Promise<OrderRow | null> {
  const rows = await db.unsafe<RawOrder[]>(
    `select ${ORDER_COLUMNS} from orders where order_id = $1 ${opts.lock ? 'for update' : ''}`,
    [orderId],
  );
  return rows[0] ? toOrder(rows[0]) : null;
}

/** Credits are held: the order runs, with one job per video (ids derived by the caller). */
export async function activateOrder(db: Db, orderId: string, jobIds: string[]): Promise<void> {
  await db`update orders set status = 'active', reserved_at = now(), updated_at = now() where order_id = ${orderId}`;
  for (const [i, jobId] of jobIds.entries()) {
    await db`
      insert into jobs (job_id, order_id, video_index, state)
      values (${jobId}, ${orderId}, ${i + 1}, 'prompting')
      on conflict do nothing`;
  }
}

export async function findJob(db: Db, jobId: string, opts: { lock?: boolean } = {}): Promise<JobRow | null> {
  const rows = await db.unsafe<RawJob[]>(
    `select ${JOB_COLUMNS} from jobs where job_id = $1 ${opts.lock ? 'for update' : ''}`,
    [jobId],
  );
  return rows[0] ? toJob(rows[0]) : null;
}

/** Columns a transition may set, in SQL names. */
export interface JobPatch {
  state: JobState;
  prompt?: string;
  prompt_source?: 'openai' | 'template';
  template_version?: number;
  attempt?: number;
  task_id?: string | null;
  key_name?: string;
  video_url?: string;
  message_id?: number;
  video_file_id?: string | null;
  failure_reason?: string;
  failure_detail?: string | null;
  submitted_at?: Date;
  prompt_lease_until?: Date | null;
}

export async function updateJob(db: Db, jobId: string, patch: JobPatch): Promise<void> {
  const terminal = patch.state === 'delivered' || patch.state === 'failed';
  const cols = { ...patch, updated_at: new Date(), ...(terminal ? { finished_at: new Date() } : {}) };
  await db`update jobs set ${db(cols as never)} where job_id = ${jobId}`;
}

export async function jobStates(db: Db, orderId: string): Promise<JobState[]> {
  const rows = await db<{ state: JobState }[]>`select state from jobs where order_id = ${orderId}`;
  return rows.map((r) => r.state);
}

/** True only for the call that set it: "generation started" is told once per order. */
export async function markGenerationStarted(db: Db, orderId: string): Promise<boolean> {
  const rows = await db`
    update orders set generation_started_at = now(), updated_at = now()
    where order_id = ${orderId} and generation_started_at is null
    returning 1`;
  return rows.length > 0;
}

/** The failure classes of the order's failed jobs (for the order's metric outcome). */
export async function failureReasons(db: Db, orderId: string): Promise<FailureClass[]> {
  const rows = await db<{ reason: FailureClass }[]>`
    select failure_reason as reason from jobs where order_id = ${orderId} and state = 'failed'`;
  return rows.map((r) => r.reason);
}

/**
 * When the order's credits were reserved, if `jobId` is the order's only delivered job
 * (its first video); null otherwise. The caller holds the order's lock, so of two videos
 * delivered at once exactly one is the first.
 */
export async function firstDeliveryOf(db: Db, orderId: string, jobId: string): Promise<Date | null> {
  const [r] = await db<{ reserved_at: Date | null; others: number }[]>`
    select o.reserved_at,
           (select count(*)::int from jobs j where j.order_id = o.order_id and j.state = 'delivered'
              and j.job_id <> ${jobId}) as others
    from orders o where o.order_id = ${orderId}`;
  return r && r.others === 0 ? r.reserved_at : null;
}

export async function completeOrder(db: Db, orderId: string, delivered: number, failed: number): Promise<void> {
  await db`
    update orders set status = 'completed', completed_at = now(), delivered = ${delivered}, failed = ${failed},
                      updated_at = now()
    where order_id = ${orderId}`;
}

/**
 * Locks active orders that have a job past `cutoff` (created before it and still without
 * a video: a `ready` job is the notifier's to finish, see domain/job-state — selecting it
 * would make the sweeper revisit it every round for nothing).
 * SKIP LOCKED: replicas sweeping at once take different orders, and an order busy in a
 * handler is simply swept next time.
 */
/**
 * Jobs the overall deadline may end, past `cutoff`: one still waiting for its prompt (counted
 * from its creation) or generating at KIE (counted from KIE's acceptance of its latest
 * attempt). A `submitted` job waits in the dispatcher's queue for a key and is never expired:
 * waiting is not failing (the seller may cancel it). A `ready` job has its video.
 */
function expirable(db: Db, cutoff: Date, alias = 'j.') {
  const a = db.unsafe(alias);
  return db`((${a}state = 'prompting' and ${a}created_at < ${cutoff})
    or (${a}state = 'generating' and coalesce(${a}submitted_at, ${a}created_at) < ${cutoff}))`;
}

/**
 * Takes one of the seller's PROMPT_PER_SELLER turns at the prompt step for the job, held
 * until `until` or until the job leaves `prompting`. False when the seller has them all: the
 * message waits and other sellers' prompts go first. An advisory lock per seller keeps two
 * replicas from both taking the last turn.
 */
export async function takePromptTurn(
  sql: Sql,
  o: { jobId: string; userId: number; now: Date; until: Date; perSeller: number },
): Promise<boolean> {
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    await tx`select pg_advisory_xact_lock(hashtext(${`prompt-turn:${o.userId}`}))`;
    const [busy] = await tx<{ n: number }[]>`
      select count(*)::int as n from jobs j join orders o on o.order_id = j.order_id
      where o.user_id = ${o.userId} and j.state = 'prompting' and j.prompt_lease_until > ${o.now}
        and j.job_id <> ${o.jobId}`;
    if ((busy?.n ?? 0) >= o.perSeller) return false;
    await tx`update jobs set prompt_lease_until = ${o.until} where job_id = ${o.jobId}`;
    return true;
  }) as Promise<boolean>;
}

/** Gives the job's prompt turn back (GPT failed and the message is retried later). */
export async function releasePromptTurn(sql: Sql, jobId: string): Promise<void> {
  await sql`update jobs set prompt_lease_until = null where job_id = ${jobId}`;
}

export async function lockOverdueOrders(db: Db, cutoff: Date, limit: number): Promise<string[]> {
  const rows = await db<{ order_id: string }[]>`
    select o.order_id from orders o
    where o.status = 'active'
      and exists (select 1 from jobs j where j.order_id = o.order_id
                  and ${expirable(db, cutoff)})
    limit ${limit}
    for update of o skip locked`;
  return rows.map((r) => r.order_id);
}

/** The jobs of `orderId` the deadline can expire (no outcome and no video), oldest first. */
export async function overdueJobIds(db: Db, orderId: string, cutoff: Date): Promise<string[]> {
  const rows = await db<{ job_id: string }[]>`
    select job_id from jobs
    where order_id = ${orderId} and ${expirable(db, cutoff, '')}
    order by video_index`;
  return rows.map((r) => r.job_id);
}

export interface Stats {
  ordersToday: number;
  jobsInFlight: number;
  failedTodayByReason: Record<string, number>;
}

export async function stats(db: Db, dayStart: Date): Promise<Stats> {
  const [orders] = await db<{ n: number }[]>`
    select count(*)::int as n from orders where reserved_at >= ${dayStart}`;
  const [open] = await db<{ n: number }[]>`
    select count(*)::int as n from jobs where state not in ('delivered', 'failed')`;
  const failed = await db<{ reason: string; n: number }[]>`
    select failure_reason as reason, count(*)::int as n from jobs
    where state = 'failed' and finished_at >= ${dayStart}
    group by failure_reason`;
  return {
    ordersToday: orders?.n ?? 0,
    jobsInFlight: open?.n ?? 0,
    failedTodayByReason: Object.fromEntries(failed.map((r) => [r.reason, r.n])),
  };
}

export interface OrderListRow {
  order_id: string;
  placed_at: Date;
  template: string;
  model: string | null;
  count: number;
  status: 'placed' | 'active' | 'completed';
  jobs: Array<{ job_id: string; video_index: number; state: JobState; failure_reason: string | null; video_file_id: string | null }>;
}

/** A seller's latest orders (not the rejected ones), newest first, each with its jobs by number. */
export async function listOrders(db: Db, userId: number, limit: number): Promise<OrderListRow[]> {
  return db<OrderListRow[]>`
    select o.order_id, o.placed_at, o.template, o.model, o.count, o.status,
           coalesce((select json_agg(json_build_object(
                       'job_id', j.job_id, 'video_index', j.video_index, 'state', j.state,
                       'failure_reason', j.failure_reason, 'video_file_id', j.video_file_id) order by j.video_index)
                     from jobs j where j.order_id = o.order_id), '[]'::json) as jobs
    from orders o
    where o.user_id = ${userId} and o.status <> 'rejected' and o.placed_at is not null
    order by o.placed_at desc
    limit ${limit}`;
}

/** The file_id of a seller's own delivered video; undefined when the job is not the seller's. */
export async function videoOf(db: Db, userId: number, jobId: string): Promise<{ fileId: string | null } | undefined> {
  const [row] = await db<{ video_file_id: string | null; state: JobState }[]>`
    select j.video_file_id, j.state from jobs j join orders o on o.order_id = j.order_id
    where j.job_id = ${jobId} and o.user_id = ${userId}`;
  if (!row) return undefined;
  return { fileId: row.state === 'delivered' ? row.video_file_id : null };
}
