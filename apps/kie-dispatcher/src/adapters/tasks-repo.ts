import type { EventData, KieErrorClass, PhotoRef } from '@neurocards/contracts';
import type { Sql } from '@neurocards/platform';
import type { TaskState } from '../domain/task-state';

// The states and moves are the lifecycle's (domain/task-state.ts); each query below applies
// one of its moves, guarded by the states it allows.
export type { TaskState };

/** One job's KIE work: the current attempt and what a restart needs to resume it. */
export interface TaskRow {
  jobId: string;
  orderId: string;
  submitEventId: string;
  prompt: string;
  photo: PhotoRef;
  aspectRatio: 'portrait' | 'landscape';
  /** Sora's frame count, on rows from before the catalogue only. */
  nFrames: '10' | '15' | null;
  /** The catalogue model; null on rows from before the catalogue (they run as the default). */
  model: string | null;
  /** Seconds; null on rows from before the catalogue. */
  duration: number | null;
  state: TaskState;
  attempt: number;
  keyName: string | null;
  taskId: string | null;
  callbackToken: string | null;
  notBefore: Date;
  leaseUntil: Date | null;
  createSentAt: Date | null;
  submittedAt: Date | null;
  deadlineAt: Date | null;
  nextPollAt: Date | null;
  excludedKeys: string[];
  failovers: number;
  /** Attempts retried for free after a key's own cap (433). */
  freeRetries: number;
  lastErrorClass: KieErrorClass | null;
  lastErrorCode: number | null;
  lastError: string | null;
  outcome: string | null;
  /** The seller the video is for (the order id on rows from before fair share). */
  seller: string;
  /** 1-based number of the video within its order. */
  index: number;
  queuedAt: Date;
}

type Raw = Record<string, unknown>;

export function toTask(r: Raw): TaskRow {
  return {
    jobId: r.job_id as string,
    orderId: r.order_id as string,
    submitEventId: r.submit_event_id as string,
    prompt: r.prompt as string,
    photo: r.photo as PhotoRef,
    aspectRatio: r.aspect_ratio as TaskRow['aspectRatio'],
    nFrames: (r.n_frames as TaskRow['nFrames']) ?? null,
    model: (r.model as string | null) ?? null,
    duration: (r.duration as number | null) ?? null,
    state: r.state as TaskState,
    attempt: r.attempt as number,
    keyName: (r.key_name as string | null) ?? null,
    taskId: (r.task_id as string | null) ?? null,
    callbackToken: (r.callback_token as string | null) ?? null,
    notBefore: r.not_before as Date,
    leaseUntil: (r.lease_until as Date | null) ?? null,
    createSentAt: (r.create_sent_at as Date | null) ?? null,
    submittedAt: (r.submitted_at as Date | null) ?? null,
    deadlineAt: (r.deadline_at as Date | null) ?? null,
    nextPollAt: (r.next_poll_at as Date | null) ?? null,
    excludedKeys: (r.excluded_keys as string[]) ?? [],
    failovers: r.failovers as number,
    freeRetries: (r.free_retries as number) ?? 0,
    lastErrorClass: (r.last_error_class as KieErrorClass | null) ?? null,
    lastErrorCode: (r.last_error_code as number | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    outcome: (r.outcome as string | null) ?? null,
    seller: r.seller as string,
    index: r.job_index as number,
    queuedAt: r.queued_at as Date,
  };
}

/**
 * Stores the submit command as a queued task; a repeated command for the job is a no-op, and
 * so is one for a job that failed (was cancelled) before its command arrived.
 */
export async function insertTask(
  sql: Sql,
  cmd: EventData<'kie.task.submit.v1'>,
  eventId: string,
  now: Date,
  spec: { model: string; duration: number | null },
): Promise<boolean> {
  const rows = await sql`
    insert into tasks (job_id, order_id, submit_event_id, prompt, photo, aspect_ratio, n_frames, model, duration,
                       state, attempt, not_before, seller, job_index, queued_at)
    select ${cmd.jobId}, ${cmd.orderId}, ${eventId}, ${cmd.prompt}, ${sql.json(cmd.photo as never)},
           ${cmd.aspectRatio}, ${cmd.nFrames ?? null}, ${spec.model}, ${spec.duration}, 'queued', 1, ${now},
           ${cmd.seller !== undefined ? String(cmd.seller) : cmd.orderId}, ${cmd.index ?? 1}, ${now}
    where not exists (select 1 from cancelled_jobs where job_id = ${cmd.jobId})
    on conflict (job_id) do nothing
    returning 1`;
  return rows.length > 0;
}

export async function getTask(sql: Sql, jobId: string): Promise<TaskRow | null> {
  const [r] = await sql`select * from tasks where job_id = ${jobId}`;
  return r ? toTask(r) : null;
}

/** Locks the job's row for a state change (inside a transaction). */
export async function lockTask(tx: Sql, jobId: string): Promise<TaskRow | null> {
  const [r] = await tx`select * from tasks where job_id = ${jobId} for update`;
  return r ? toTask(r) : null;
}

/**
 * The due rows (queued past their back-off, or leased by a replica that died before
 * createTask was sent) ranked in the fair order of domain/fair-queue.ts: tier (first videos
 * first), round within the seller's tier, the seller's last turn (a seller who also takes
 * first-video turns in this snapshot counts as served at the last of them), the seller's oldest
 * video, the seller, then oldest first within the seller. Strings sort as bytes, as in the code.
 *
 * `perSellerTier` bounds the work to the queue's head: a seller's row of round k has the k
 * rows of its earlier rounds ahead of it, so a claim of `limit` rows only ever takes rounds
 * below `limit` (below twice that when other replicas hold rows ahead of it), and each
 * seller's first `perSellerTier` due rows of each tier are read through the
 * `tasks_fair_head` index, whatever the queue's depth. Ranks and each seller's oldest video
 * are the same on that head as on the whole queue (the dropped rows all come after it); so is
 * the "served at their last first-video turn" position wherever it can matter (when a seller
 * has `limit` first videos waiting, no second video is among the first `limit`). Null ranks
 * the whole queue.
 */
const rankedDue = (sql: Sql, now: Date, perSellerTier: number | null) => sql`
  with sellers as (
    select distinct seller from tasks where state in ('queued', 'submitting')
  ), due as (
    select h.*, tier.n as tier
    from sellers s
    cross join (values (0), (1)) as tier(n)
    cross join lateral (
      select job_id, seller, order_id, job_index, queued_at
      from tasks t
      where t.seller = s.seller and t.state in ('queued', 'submitting')
        and (t.job_index > 1) = (tier.n = 1)
        and ((t.state = 'queued' and t.not_before <= ${now})
             or (t.state = 'submitting' and t.lease_until < ${now} and t.create_sent_at is null))
      order by t.queued_at, t.order_id collate "C", t.job_index, t.job_id collate "C"
      limit ${perSellerTier}
    ) h
  ), rounds as (
    select due.*, st.last_turn as served,
           row_number() over (partition by due.seller, tier
                              order by queued_at, order_id collate "C", job_index, job_id collate "C") - 1 as round,
           min(queued_at) over (partition by due.seller) as head
    from due left join seller_turns st on st.seller = due.seller
  ), first_pos as (
    select seller, row_number() over (order by round, served nulls first, head, seller collate "C",
                                               queued_at, order_id collate "C", job_index, job_id collate "C") as pos
    from rounds where tier = 0
  ), last_first as (
    select seller, max(pos) as last0 from first_pos group by seller
  )
  select r.job_id, r.seller, r.tier, r.round,
         case when r.tier = 1 and l.last0 is not null then 1 else 0 end as in0,
         case when r.tier = 1 and l.last0 is not null then null else r.served end as served,
         case when r.tier = 1 then coalesce(l.last0, 0) else 0 end as last0,
         r.head, r.queued_at, r.order_id, r.job_index
  from rounds r left join last_first l on l.seller = r.seller`;

const FAIR_ORDER = `r.tier, r.round, r.in0, r.served nulls first, r.last0, r.head, r.seller collate "C",
  r.queued_at, r.order_id collate "C", r.job_index, r.job_id collate "C"`;

/** The job ids of the due rows in fair order (what the next claims would take, in turn). */
export async function fairQueue(sql: Sql, now: Date): Promise<string[]> {
  const rows = await sql`select r.job_id from (${rankedDue(sql, now, null)}) r order by ${sql.unsafe(FAIR_ORDER)}`;
  return rows.map((r) => r.job_id as string);
}

/**
 * Claims due work for this replica, in the fair order (see `rankedDue`), and records each
 * claimed seller's turn. `skip locked` lets replicas claim side by side; the state test on the
 * locked row itself makes a row another replica claimed meanwhile drop out.
 */
export async function claimForSubmit(
  sql: Sql,
  o: { now: Date; limit: number; leaseMs: number },
): Promise<TaskRow[]> {
  // A claim numbers its rows within one block of the turn sequence (1000 wide).
  const limit = Math.min(o.limit, 999);
  if (limit <= 0) return [];
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    // The head of the fair order, then its rows locked by primary key in that order. Twice
    // the claim, so that rows another replica is claiming at this moment (locked, not yet
    // committed) are skipped and the rows behind them taken instead.
    const picked = await tx`
      select t.job_id, t.seller
      from (select r.job_id, row_number() over (order by ${tx.unsafe(FAIR_ORDER)}) as pos
            from (${rankedDue(tx, o.now, 2 * limit)}) r
            order by pos
            limit ${2 * limit}) c
      join tasks t on t.job_id = c.job_id
      where (t.state = 'queued' and t.not_before <= ${o.now})
         or (t.state = 'submitting' and t.lease_until < ${o.now} and t.create_sent_at is null)
      order by c.pos
      limit ${limit}
      for update of t skip locked`;
    if (picked.length === 0) return [];
    const ids = picked.map((r) => r.job_id as string);
    const rows = await tx`
      update tasks set state = 'submitting', lease_until = ${new Date(o.now.getTime() + o.leaseMs)}, updated_at = ${o.now}
      where job_id in ${tx(ids)}
      returning *`;
    const [seq] = await tx`select nextval('seller_turn_seq')::bigint as base`;
    const base = BigInt(seq!.base as string);
    const turns = new Map<string, bigint>();
    picked.forEach((r, i) => turns.set(r.seller as string, base + BigInt(i)));
    // Sorted by seller: replicas upserting the same sellers lock them in one order.
    const sellers = [...turns.keys()].sort();
    await tx`
      insert into seller_turns (seller, last_turn)
      select * from unnest(${sellers}::text[], ${sellers.map((s) => String(turns.get(s)))}::bigint[])
      on conflict (seller) do update set last_turn = greatest(seller_turns.last_turn, excluded.last_turn)`;
    const byId = new Map(rows.map((r) => [r.job_id as string, toTask(r)]));
    return ids.map((id) => byId.get(id)!);
  }) as Promise<TaskRow[]>;
}

/**
 * A lease ran out after createTask was sent: KIE may have the task, so it is NOT sent again
 * blindly. The row becomes `running` without a task id; the callback (which carries the
 * token) adopts it, and the attempt deadline ends it otherwise.
 */
export async function recoverLostSubmits(sql: Sql, now: Date): Promise<number> {
  const rows = await sql`
    update tasks set state = 'running', lease_until = null, updated_at = ${now}
    where state = 'submitting' and lease_until < ${now} and create_sent_at is not null
    returning 1`;
  return rows.length;
}

/**
 * No key could take the claimed row (or the replica is stopping): back to the queue, to be
 * claimed again from `notBefore` (default: at once), unchanged otherwise.
 */
export async function releaseClaim(
  sql: Sql,
  jobId: string,
  attempt: number,
  now: Date,
  notBefore?: Date,
): Promise<void> {
  await sql`
    update tasks set state = 'queued', lease_until = null, key_name = null, updated_at = ${now},
           not_before = coalesce(${notBefore ?? null}::timestamptz, not_before)
    where job_id = ${jobId} and attempt = ${attempt} and state = 'submitting' and create_sent_at is null`;
}

/**
 * The job failed for good elsewhere (jobs.video.failed.v1): its queued, submitting or running
 * task is cancelled; one that already ended stays as it is. A tombstone keeps a submit
 * command that arrives later from queueing it. Idempotent; true when a task was cancelled now.
 */
export async function cancelTask(sql: Sql, jobId: string, now: Date): Promise<boolean> {
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    await tx`insert into cancelled_jobs (job_id, cancelled_at) values (${jobId}, ${now}) on conflict do nothing`;
    const rows = await tx`
      update tasks set state = 'cancelled', outcome = 'cancelled', lease_until = null, next_poll_at = null,
             updated_at = ${now}
      where job_id = ${jobId} and state in ('queued', 'submitting', 'running')
      returning 1`;
    return rows.length > 0;
  }) as Promise<boolean>;
}

/**
 * Records, before createTask goes out, which key and callback token this attempt uses.
 * From here on a crash leaves a row that is recovered, never re-sent blindly.
 */
export async function markCreateSent(
  sql: Sql,
  o: { jobId: string; attempt: number; keyName: string; token: string; now: Date; deadlineAt: Date },
): Promise<boolean> {
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    const rows = await tx`
      update tasks set key_name = ${o.keyName}, callback_token = ${o.token}, create_sent_at = ${o.now},
             deadline_at = ${o.deadlineAt}, updated_at = ${o.now}
      where job_id = ${o.jobId} and attempt = ${o.attempt} and state = 'submitting' and create_sent_at is null
      returning 1`;
    if (rows.length === 0) return false;
    await tx`
      insert into attempts (callback_token, job_id, attempt, key_name)
      values (${o.token}, ${o.jobId}, ${o.attempt}, ${o.keyName})`;
    return true;
  }) as Promise<boolean>;
}

/** KIE accepted the attempt (createTask answered, or a callback named the task of a lost answer). */
export async function markRunning(
  tx: Sql,
  o: { jobId: string; attempt: number; token: string; taskId: string; now: Date; nextPollAt: Date },
): Promise<boolean> {
  const rows = await tx`
    update tasks set state = 'running', task_id = ${o.taskId}, lease_until = null, submitted_at = ${o.now},
           next_poll_at = ${o.nextPollAt}, updated_at = ${o.now}
    where job_id = ${o.jobId} and attempt = ${o.attempt} and callback_token = ${o.token}
      and state in ('submitting', 'running') and task_id is null
    returning 1`;
  if (rows.length === 0) return false;
  await tx`update attempts set task_id = ${o.taskId} where callback_token = ${o.token}`;
  return true;
}

export interface AttemptRef {
  token: string;
  jobId: string;
  attempt: number;
  keyName: string;
  taskId: string | null;
}

export async function findAttempt(sql: Sql, token: string): Promise<AttemptRef | null> {
  const [r] = await sql`select * from attempts where callback_token = ${token}`;
  if (!r) return null;
  return { token, jobId: r.job_id, attempt: r.attempt, keyName: r.key_name, taskId: r.task_id ?? null };
}

export interface ErrorNote {
  class: KieErrorClass;
  code: number | null;
  message: string;
}

/** The attempt failed and another follows after `notBefore`. */
export async function requeue(
  tx: Sql,
  o: {
    jobId: string;
    nextAttempt: number;
    notBefore: Date;
    now: Date;
    error: ErrorNote;
    excludeKey: string | null;
    failover: boolean;
    /** A free retry (433): not counted against the attempt limit. */
    free?: boolean;
  },
): Promise<void> {
  await tx`
    update tasks set state = 'queued', attempt = ${o.nextAttempt}, not_before = ${o.notBefore},
           key_name = null, task_id = null, callback_token = null, lease_until = null, create_sent_at = null,
           submitted_at = null, deadline_at = null, next_poll_at = null,
           excluded_keys = case when ${o.excludeKey}::text is null then excluded_keys
                                else array_append(excluded_keys, ${o.excludeKey}::text) end,
           failovers = failovers + ${o.failover ? 1 : 0},
           free_retries = free_retries + ${o.free ? 1 : 0},
           last_error_class = ${o.error.class}, last_error_code = ${o.error.code}, last_error = ${o.error.message.slice(0, 2000)},
           updated_at = ${o.now}
    where job_id = ${o.jobId}`;
}

/** The job is over: succeeded with its video, or failed for good. */
export async function finish(
  tx: Sql,
  o: {
    jobId: string;
    state: 'succeeded' | 'failed';
    outcome: string;
    now: Date;
    attempt?: number;
    taskId?: string | null;
    resultUrls?: string[];
    error?: ErrorNote;
  },
): Promise<void> {
  await tx`
    update tasks set state = ${o.state}, outcome = ${o.outcome}, lease_until = null, next_poll_at = null,
           attempt = coalesce(${o.attempt ?? null}::int, attempt),
           task_id = coalesce(${o.taskId ?? null}::text, task_id),
           result_urls = ${o.resultUrls ? tx.json(o.resultUrls) : null},
           last_error_class = coalesce(${o.error?.class ?? null}::text, last_error_class),
           last_error_code = coalesce(${o.error?.code ?? null}::int, last_error_code),
           last_error = coalesce(${o.error?.message.slice(0, 2000) ?? null}::text, last_error),
           updated_at = ${o.now}
    where job_id = ${o.jobId}`;
}

/** Running tasks due for a poll; their next poll is pushed out as a lease while this replica asks. */
export async function claimPolls(
  sql: Sql,
  o: { now: Date; limit: number; leaseMs: number },
): Promise<TaskRow[]> {
  const rows = await sql`
    update tasks t set next_poll_at = ${new Date(o.now.getTime() + o.leaseMs)}
    where t.job_id in (
      select job_id from tasks
      where state = 'running' and task_id is not null and next_poll_at <= ${o.now}
      order by next_poll_at
      limit ${o.limit}
      for update skip locked)
    returning t.*`;
  return rows.map(toTask);
}

export async function schedulePoll(sql: Sql, jobId: string, attempt: number, at: Date): Promise<void> {
  await sql`update tasks set next_poll_at = ${at} where job_id = ${jobId} and attempt = ${attempt} and state = 'running'`;
}

/** Running attempts past GENERATION_DEADLINE. */
export async function overdue(sql: Sql, now: Date, limit: number): Promise<TaskRow[]> {
  const rows = await sql`
    select * from tasks where state = 'running' and deadline_at < ${now} order by deadline_at limit ${limit}`;
  return rows.map(toTask);
}

/** Tasks holding a key's capacity (submitting or running), by key. */
export async function inFlightByKey(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql`
    select key_name, count(*)::int as n from tasks
    where state in ('submitting', 'running') and key_name is not null group by key_name`;
  return new Map(rows.map((r) => [r.key_name as string, r.n as number]));
}

/** The tasks in flight of some keys (an account's: what KIE_MAX_IN_FLIGHT bounds). */
export async function inFlightOf(sql: Sql, keyNames: readonly string[]): Promise<number> {
  const [r] = await sql`
    select count(*)::int as n from tasks where state in ('submitting', 'running') and key_name in ${sql([...keyNames])}`;
  return (r?.n as number) ?? 0;
}

/** KIE could not fetch the photo (451): the next attempt uploads it again. */
export async function dropUpload(sql: Sql, objectKey: string): Promise<void> {
  await sql`delete from uploads where object_key = ${objectKey}`;
}

export async function queueDepth(sql: Sql): Promise<number> {
  // A row claimed by a replica but not yet sent to KIE (uploading, or waiting a moment for
  // a slot) still waits in the queue for the seller and the operator.
  const [r] =
    await sql`select count(*)::int as n from tasks where state = 'queued' or (state = 'submitting' and create_sent_at is null)`;
  return (r?.n as number) ?? 0;
}

/** The KIE download URL of a photo uploaded recently enough to reuse. */
export async function cachedUpload(sql: Sql, objectKey: string, freshAfter: Date): Promise<string | null> {
  const [r] =
    await sql`select download_url from uploads where object_key = ${objectKey} and uploaded_at > ${freshAfter}`;
  return (r?.download_url as string | undefined) ?? null;
}

export async function saveUpload(
  sql: Sql,
  o: { objectKey: string; downloadUrl: string; keyName: string; now: Date },
): Promise<void> {
  await sql`
    insert into uploads (object_key, download_url, key_name, uploaded_at)
    values (${o.objectKey}, ${o.downloadUrl}, ${o.keyName}, ${o.now})
    on conflict (object_key) do update set download_url = excluded.download_url, key_name = excluded.key_name,
      uploaded_at = excluded.uploaded_at`;
}
