import { createEvent, deterministicId, type Envelope } from '@neurocards/contracts';
import { enqueue, transaction, type Logger, type Sql } from '@neurocards/platform';
import type { KeyPool } from '../adapters/key-pool';
import type { ModelStore } from '../adapters/model-store';
import {
  dropUpload,
  finish,
  getTask,
  lockTask,
  requeue,
  type TaskRow,
  type TaskState,
} from '../adapters/tasks-repo';
import { BILLING_BLOCK_MS, DEFAULT_COOLDOWN_MS, decideAfterFailure } from '../domain/backoff';
import { classify, type Classified, type KieFailure } from '../domain/classify';
import { keyHealth, type AccountState } from '../domain/keys';
import { transition } from '../domain/task-state';
import { cancelQueuedIn, orderCancelled } from './queue-cancel-consumer';

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
  models: ModelStore;
  /** Rows from before the catalogue run as this model. */
  defaultModel: string;
  clock: () => number;
  billingFailover: boolean;
  /** KIE_KEY_CAP_COOLDOWN: how long a key that hit its own cap (433) rests. */
  keyCapCooldownMs: number;
  /** A 402 emptied an account: check its credits now (the check lifts the block when they return). */
  onAccountEmpty?: (account: string) => void;
  log: Logger;
}

/** Every key of every account, with its health. */
function allKeys(snapshot: Array<{ keys: string[]; state: AccountState }>, now: number) {
  return snapshot.flatMap((a) => a.keys.map((k) => ({ name: k, health: keyHealth(a.state, k, now).state })));
}

/**
 * The one place where an attempt's result turns into state and events. The state change
 * and its event commit in one transaction (outbox); event ids are deterministic, so a
 * duplicate callback or a poll racing a callback publishes nothing new.
 */
export function createOutcomes(d: OutcomeDeps): Outcomes {
  const { sql, pool, clock, billingFailover } = d;
  const log = d.log.child({ module: 'outcomes' });

  /**
   * Blocks the key (401) or its whole account (402: every key of it) in KV (idempotent,
   * shared) and returns the admins' alert. Its id comes from the key or account and the block
   * in force, so every billing outcome of one block enqueues the same event: a retry after a
   * failed transaction still alerts, repeats are deduplicated.
   */
  async function block(keyName: string, c: Classified, now: number): Promise<Envelope> {
    const account = pool.accountOf(keyName) ?? keyName;
    const scope = c.code === 402 ? 'account' : 'key';
    const { newly, until } = await pool.block(keyName, now, now + BILLING_BLOCK_MS, c.code, c.message, scope);
    const keys = allKeys(await pool.snapshot(), now);
    const all = keys.length > 0 && keys.every((k) => k.health === 'blocked');
    if (newly)
      log.error(
        { keyName, account, scope, code: c.code, allKeysBlocked: all },
        'KIE key blocked for billing',
      );
    if (scope === 'account') d.onAccountEmpty?.(account);
    return createEvent({
      subject: 'kie.key.blocked.v1',
      id: deterministicId('kie.key.blocked.v1', scope === 'account' ? `account:${account}` : keyName, until),
      correlationId: `kie-key:${keyName}`,
      causationId: null,
      data: {
        keyName,
        account,
        scope,
        code: c.code,
        message: c.message.slice(0, 2000),
        until: new Date(until).toISOString(),
        allKeysBlocked: all,
      },
    });
  }

  /**
   * KIE refused the model on the key's account with a configuration error: marks it
   * unavailable there (KV, shared), and returns the admins' alert — one per (model, account,
   * epoch): its id is deterministic, so the outbox drops repeats.
   */
  async function modelRefused(
    jobId: string,
    keyName: string,
    c: Classified,
    now: number,
  ): Promise<Envelope | null> {
    const account = pool.accountOf(keyName);
    const task = await getTask(sql, jobId);
    if (!account || !task) return null;
    const model = task.model ?? d.defaultModel;
    const m = await d.models.markUnavailable(model, account, { code: c.code, message: c.message }, now);
    if (m.newly)
      log.error(
        { model, account, code: c.code, stillOffered: m.stillOffered },
        'KIE refused the model on the account',
      );
    return createEvent({
      subject: 'kie.model.unavailable.v1',
      id: deterministicId('kie.model.unavailable.v1', model, account, m.epoch),
      correlationId: `kie-model:${model}`,
      causationId: null,
      data: { model, account, code: c.code, message: c.message.slice(0, 2000), stillOffered: m.stillOffered },
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
        // A late success of an earlier attempt still delivers the video, as long as the job is
        // not over (a cancelled job, failed for good elsewhere, is over too).
        if (!row || transition(row, { type: 'succeeded', attempt: ref.attempt }).kind !== 'move')
          return false;
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
      const refused =
        ref.keyName && c.class === 'config' ? await modelRefused(ref.jobId, ref.keyName, c, now) : null;
      const account = ref.keyName ? pool.accountOf(ref.keyName) : undefined;
      if (account && c.class === 'rate_limited') {
        // 429 is the account's shared window: every key of it waits.
        await pool.coolAccount(account, now + (c.retryAfterMs ?? DEFAULT_COOLDOWN_MS));
        log.warn(
          { keyName: ref.keyName, account, retryAfterMs: c.retryAfterMs },
          'KIE account cooling down after 429',
        );
      }
      if (ref.keyName && c.class === 'key_capped') {
        await pool.coolDown(ref.keyName, now + d.keyCapCooldownMs, c.message);
        log.warn(
          { keyName: ref.keyName, account, code: c.code },
          'KIE key reached its own cap; it rests, its account goes on',
        );
      }
      const keys = c.class === 'billing' && billingFailover ? allKeys(await pool.snapshot(), now) : [];

      return transaction(sql, async (tx) => {
        if (blocked) await enqueue(tx, blocked);
        if (refused) await enqueue(tx, refused);
        const row = await lockTask(tx, ref.jobId);
        if (!row || !applies(row, ref)) return false;
        if (c.reupload) await dropUpload(tx, row.photo.objectKey);
        const exclude = new Set([...row.excludedKeys, ...(ref.keyName ? [ref.keyName] : [])]);
        const decision = decideAfterFailure({
          class: c.class,
          attempt: row.attempt,
          deadline: failure.kind === 'deadline',
          billingFailover,
          failoversUsed: row.failovers,
          otherHealthyKey: keys.some((k) => !exclude.has(k.name) && k.health !== 'blocked'),
          freeRetries: row.freeRetries,
        });
        const error = { class: c.class, code: c.code, message: c.message };
        const move = transition(row, {
          type: 'failed',
          attempt: row.attempt,
          retry: decision.kind === 'retry',
        });
        if (move.kind !== 'move') return false;
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
            free: decision.free ?? false,
          });
          jobLog.warn(
            { errorClass: c.class, code: c.code, delayMs: decision.delayMs, failover: decision.failover },
            'attempt failed; retrying',
          );
          // Back in the queue of an order its seller cancelled while this attempt was out:
          // cancelled now, as it would have been had it been waiting then.
          if (await orderCancelled(tx, row.orderId, row.seller)) {
            await cancelQueuedIn(tx, { orderId: row.orderId, seller: row.seller, now: new Date(now), causationId: row.submitEventId });
            jobLog.info('order cancelled by its seller; the retry is cancelled');
          }
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
