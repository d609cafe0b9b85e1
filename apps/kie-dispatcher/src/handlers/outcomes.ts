import { createEvent, deterministicId, type Envelope } from '@neurocards/contracts';
import { enqueue, transaction, type Logger, type Sql } from '@neurocards/platform';
import type { KeyPool } from '../adapters/key-pool';
import { finish, lockTask, requeue, type TaskRow, type TaskState } from '../adapters/tasks-repo';
import { BILLING_BLOCK_MS, DEFAULT_COOLDOWN_MS, decideAfterFailure } from '../domain/backoff';
import { classify, type Classified, type KieFailure } from '../domain/classify';
import { allBlocked, health } from '../domain/keys';

/** Which attempt an outcome belongs to; a stale or repeated outcome changes nothing. */
export interface AttemptOutcomeRef {
  jobId: string;
  attempt: number;
  /** The KIE task, when known; must match the row's. */
  taskId: string | null;
  /** The key the attempt used (account errors block it, 429 cools it). */
  keyName: string | null;
  /** States the row must be in for this outcome to apply. */
  states: readonly TaskState[];
}

export interface Outcomes {
  /** A task of the job produced its video. False when the job was already over. */
  succeed(ref: { jobId: string; attempt: number; taskId: string }, urls: string[]): Promise<boolean>;
  /** An attempt failed: key effects, then retry or final failure. False when stale. */
  fail(ref: AttemptOutcomeRef, failure: KieFailure): Promise<boolean>;
  /**
   * A call other than createTask (recordInfo) met an account error: the key is blocked the
   * same way, and admins alerted once. The attempt it asked about is left alone.
   */
  blockKey(keyName: string, failure: KieFailure): Promise<void>;
}

export interface OutcomeDeps {
  sql: Sql;
  pool: KeyPool;
  clock: () => number;
  billingFailover: boolean;
  log: Logger;
}

/**
 * The one place where an attempt's result turns into state and events. The state change
 * and its event commit in one transaction (outbox); event ids are deterministic, so a
 * duplicate callback or a poll racing a callback publishes nothing new.
 */
export function createOutcomes({ sql, pool, clock, billingFailover, log: parent }: OutcomeDeps): Outcomes {
  const log = parent.child({ module: 'outcomes' });

  /**
   * Blocks the key in KV (idempotent, shared) and returns the admins' alert. Its id comes
   * from the key and the block in force, so every billing outcome of one block enqueues the
   * same event: a retry after a failed transaction still alerts, repeats are deduplicated.
   */
  async function block(keyName: string, c: Classified, now: number): Promise<Envelope> {
    const { newly, until } = await pool.block(keyName, now, now + BILLING_BLOCK_MS, c.code, c.message);
    const all = allBlocked(await pool.snapshot(), now);
    if (newly) log.error({ keyName, code: c.code, allKeysBlocked: all }, 'KIE key blocked for billing');
    return createEvent({
      subject: 'kie.key.blocked.v1',
      id: deterministicId('kie.key.blocked.v1', keyName, until),
      correlationId: `kie-key:${keyName}`,
      causationId: null,
      data: {
        keyName,
        code: c.code,
        message: c.message.slice(0, 2000),
        until: new Date(until).toISOString(),
        allKeysBlocked: all,
      },
    });
  }

  return {
    async blockKey(keyName, failure) {
      const c = classify(failure);
      if (c.class !== 'billing') return;
      const alert = await block(keyName, c, clock());
      await transaction(sql, (tx) => enqueue(tx, alert));
    },

    async succeed(ref, urls) {
      const now = new Date(clock());
      return transaction(sql, async (tx) => {
        const row = await lockTask(tx, ref.jobId);
        // A late success of an earlier attempt still delivers the video, as long as the job is not over.
        // A cancelled job (failed for good elsewhere) is over too.
        if (!row || row.state === 'succeeded' || row.state === 'failed' || row.state === 'cancelled') return false;
        await finish(tx, {
          jobId: row.jobId,
          state: 'succeeded',
          outcome: 'succeeded',
          now,
          attempt: ref.attempt,
          taskId: ref.taskId,
          resultUrls: urls,
        });
        await enqueue(
          tx,
          event(row, 'kie.task.succeeded.v1', {
            orderId: row.orderId,
            jobId: row.jobId,
            attempt: ref.attempt,
            taskId: ref.taskId,
            videoUrls: urls,
          }),
        );
        log.info(
          { jobId: row.jobId, orderId: row.orderId, attempt: ref.attempt, keyName: row.keyName },
          'task succeeded',
        );
        return true;
      });
    },

    async fail(ref, failure) {
      const c = classify(failure);
      const now = clock();
      // Key effects first: they are idempotent and shared through KV, so a crash before the
      // transaction below at worst leaves the key blocked/cooling with the job still in hand;
      // the retry enqueues the same (deterministic) alert.
      const blocked = ref.keyName && c.class === 'billing' ? await block(ref.keyName, c, now) : null;
      if (ref.keyName && c.class === 'rate_limited') {
        await pool.coolDown(ref.keyName, now + (c.retryAfterMs ?? DEFAULT_COOLDOWN_MS));
        log.warn({ keyName: ref.keyName, retryAfterMs: c.retryAfterMs }, 'KIE key cooling down after 429');
      }
      const keys = c.class === 'billing' && billingFailover ? await pool.snapshot() : [];

      return transaction(sql, async (tx) => {
        if (blocked) await enqueue(tx, blocked);
        const row = await lockTask(tx, ref.jobId);
        if (!row || !applies(row, ref)) return false;
        const exclude = new Set([...row.excludedKeys, ...(ref.keyName ? [ref.keyName] : [])]);
        const decision = decideAfterFailure({
          class: c.class,
          attempt: row.attempt,
          deadline: failure.kind === 'deadline',
          billingFailover,
          failoversUsed: row.failovers,
          otherHealthyKey: keys.some((k) => !exclude.has(k.name) && health(k.state, now).state !== 'blocked'),
        });
        const error = { class: c.class, code: c.code, message: c.message };
        const jobLog = log.child({
          jobId: row.jobId,
          orderId: row.orderId,
          attempt: row.attempt,
          keyName: ref.keyName,
        });
        if (decision.kind === 'retry') {
          await requeue(tx, {
            jobId: row.jobId,
            nextAttempt: decision.nextAttempt,
            notBefore: new Date(now + decision.delayMs),
            now: new Date(now),
            error,
            excludeKey: decision.failover ? ref.keyName : null,
            failover: decision.failover,
          });
          jobLog.warn(
            { errorClass: c.class, code: c.code, delayMs: decision.delayMs, failover: decision.failover },
            'attempt failed; retrying',
          );
          return true;
        }
        await finish(tx, {
          jobId: row.jobId,
          state: 'failed',
          outcome: decision.reason,
          now: new Date(now),
          error,
        });
        await enqueue(
          tx,
          event(row, 'kie.task.failed.v1', {
            orderId: row.orderId,
            jobId: row.jobId,
            attempt: row.attempt,
            taskId: row.taskId,
            reason: decision.reason,
            lastErrorClass: c.class,
            code: c.code,
            message: c.message.slice(0, 2000),
          }),
        );
        jobLog.warn({ errorClass: c.class, code: c.code, reason: decision.reason }, 'task failed for good');
        return true;
      });
    },
  };
}

function applies(row: TaskRow, ref: AttemptOutcomeRef): boolean {
  if (row.attempt !== ref.attempt || !ref.states.includes(row.state)) return false;
  return ref.taskId === null || row.taskId === null || row.taskId === ref.taskId;
}

/** One outcome event per job (succeeded/failed), whatever path reported it first. */
function event<S extends 'kie.task.succeeded.v1' | 'kie.task.failed.v1'>(
  row: TaskRow,
  subject: S,
  data: Parameters<typeof createEvent<S>>[0]['data'],
) {
  return createEvent({
    subject,
    id: deterministicId(subject, row.jobId),
    correlationId: row.orderId,
    causationId: row.submitEventId,
    data,
  });
}
