import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { enqueue, transaction, type Logger, type Sql } from '@neurocards/platform';
import { findAttempt, getTask, markRunning } from '../adapters/tasks-repo';
import { submittedEvent } from '../domain/events';
import { CATALOGUE, callbackFamily, callbackTaskId, readCallback } from '../domain/models';
import { nextPollDelayMs } from '../domain/poll-schedule';
import type { Outcomes } from './outcomes';

export interface CallbackDeps {
  sql: Sql;
  outcomes: Outcomes;
  clock: () => number;
  log: Logger;
  /** Rows from before the catalogue run as this model. */
  defaultModel: string;
  /** KIE_WEBHOOK_HMAC_KEY; when set, unsigned or badly signed callbacks get 401. */
  hmacKey?: string | undefined;
}

/** `base64(HMAC-SHA256(taskId + "." + timestamp, key))` (docs/design.md §4). */
export function webhookSignature(taskId: string, timestamp: string, key: string): string {
  return createHmac('sha256', key).update(`${taskId}.${timestamp}`).digest('base64');
}

function signatureOk(taskId: string, timestamp: unknown, signature: unknown, key: string): boolean {
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  const expected = Buffer.from(webhookSignature(taskId, timestamp, key));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * `POST /kie/callback/:token`. KIE posts when the task ends, maybe twice, maybe never (the
 * poller covers that): a Market task posts its record (`{ code, msg, data: { taskId, state,
 * resultJson, … } }`), a Veo task `{ code, msg, data: { taskId, info: { resultUrls } } }`;
 * the catalogue reads each (the task's model says which). Both carry the optional signature
 * over `data.taskId`. The per-task token finds the attempt; every path is idempotent, so a
 * duplicate callback changes nothing and still gets 200.
 */
export function registerCallbackRoute(app: FastifyInstance, d: CallbackDeps): void {
  const log = d.log.child({ module: 'callback' });

  app.post<{ Params: { token: string } }>('/kie/callback/:token', async (req, reply) => {
    const ref = await findAttempt(d.sql, req.params.token);
    if (!ref) return reply.code(404).send({ error: 'unknown callback' });
    const taskId = callbackTaskId(req.body);
    if (!taskId) return reply.code(400).send({ error: 'expected data.taskId' });
    const record = { taskId };
    if (
      d.hmacKey &&
      !signatureOk(
        record.taskId,
        req.headers['x-webhook-timestamp'],
        req.headers['x-webhook-signature'],
        d.hmacKey,
      )
    ) {
      log.warn({ jobId: ref.jobId, attempt: ref.attempt }, 'callback with a bad signature rejected');
      return reply.code(401).send({ error: 'bad signature' });
    }
    if (ref.taskId && ref.taskId !== record.taskId) {
      log.warn(
        { jobId: ref.jobId, attempt: ref.attempt },
        'callback names another task than its token; ignored',
      );
      return reply.code(400).send({ error: 'task does not match' });
    }
    const jobLog = log.child({ jobId: ref.jobId, attempt: ref.attempt, keyName: ref.keyName });

    if (!ref.taskId) {
      // createTask's answer is not stored yet (in flight, or lost in a crash): adopt the task
      // the callback names, if the attempt is still waiting for one.
      const task = await getTask(d.sql, ref.jobId);
      if (task?.state === 'submitting')
        return reply.code(409).send({ error: 'task is being submitted; retry later' });
      const now = d.clock();
      const adopted = await transaction(d.sql, async (tx) => {
        const ok = await markRunning(tx, {
          jobId: ref.jobId,
          attempt: ref.attempt,
          token: ref.token,
          taskId: record.taskId,
          now: new Date(now),
          nextPollAt: new Date(now + nextPollDelayMs(0)),
        });
        if (ok && task) await enqueue(tx, submittedEvent(task, ref.attempt, record.taskId, ref.keyName));
        return ok;
      });
      if (adopted) jobLog.warn({ taskId: record.taskId }, 'adopted a task whose createTask answer was lost');
    }

    const task = await getTask(d.sql, ref.jobId);
    const family = (task && CATALOGUE.get(task.model ?? d.defaultModel)?.family) ?? callbackFamily(req.body);
    const outcome = readCallback(family, req.body);
    let applied = false;
    switch (outcome.kind) {
      case 'pending':
        break;
      case 'success':
        applied = await d.outcomes.succeed(
          { jobId: ref.jobId, attempt: ref.attempt, taskId: record.taskId },
          outcome.urls,
        );
        break;
      case 'failure':
        applied = await d.outcomes.fail(
          {
            jobId: ref.jobId,
            attempt: ref.attempt,
            taskId: record.taskId,
            keyName: ref.keyName,
            states: ['running'],
          },
          outcome.failure,
        );
        break;
    }
    jobLog.info(
      { taskId: record.taskId, family, outcome: outcome.kind, applied },
      applied ? 'callback applied' : 'callback changed nothing',
    );
    return { ok: true };
  });
}
