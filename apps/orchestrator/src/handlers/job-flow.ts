import { createEvent, deterministicId, type EventData, type FailureClass, type Subject } from '@neurocards/contracts';
import { enqueue, type Logger, type Sql } from '@neurocards/platform';
import { isTerminal, transition, type Transition } from '../domain/job-state';
import { orderMetricOutcome, orderOutcome } from '../domain/order';
import type { Tally } from '../adapters/metrics';
import * as store from '../adapters/store';
import type { JobRow, OrderRow } from '../adapters/store';

/** What happened to a job, with the facts each transition stores. */
export type JobEvent =
  | { type: 'task_submitted'; attempt: number; taskId: string; keyName: string }
  | { type: 'task_succeeded'; attempt: number; taskId: string; videoUrl: string }
  | { type: 'task_failed'; attempt: number; taskId: string | null; reason: FailureClass; detail: string }
  | { type: 'video_sent'; messageId: number; fileId?: string }
  | { type: 'video_undeliverable'; reason: string }
  | { type: 'deadline_passed' };

export interface Cause {
  /** The event that caused this step, or null for the deadline sweeper. */
  eventId: string | null;
  /** The order the cause names; a mismatch with the job's order is foreign data. */
  orderId?: string;
  /** Collects the step's metrics; the caller commits it after the transaction. */
  tally?: Tally;
}

/** The job part of every `jobs.*` event, as the notifier needs it. */
export function jobRef(order: OrderRow, job: JobRow) {
  return {
    userId: order.userId,
    chatId: order.chatId,
    locale: order.locale,
    orderId: order.orderId,
    jobId: job.jobId,
    index: job.index,
    count: order.count!,
  };
}

/**
 * Applies one job event inside the caller's transaction: locks the order (serialising
 * the completion check of jobs finishing at once), then the job; asks the state machine;
 * stores the step and enqueues its events. Returns null for an unknown job.
 */
export async function advanceJob(
  tx: Sql,
  jobId: string,
  ev: JobEvent,
  cause: Cause,
  log: Logger,
): Promise<Transition | null> {
  const head = await store.findJob(tx, jobId);
  if (!head || (cause.orderId !== undefined && head.orderId !== cause.orderId)) {
    log.warn({ jobId, input: ev.type }, 'event for an unknown job ignored');
    return null;
  }
  const order = (await store.findOrder(tx, head.orderId, { lock: true }))!;
  const job = (await store.findJob(tx, jobId, { lock: true }))!;
  const step = transition(job, ev);
  // The caller's logger carries the order id (the consumer's, from the correlation id).
  const jlog = log.child({ jobId, input: ev.type, from: job.state });
  if (step.kind === 'ignore') {
    // A success for a job that already failed is worth a warning: KIE made a video nobody gets.
    const level = step.reason === 'duplicate' ? 'debug' : step.reason === 'unexpected' ? 'warn' : 'info';
    jlog[ev.type === 'task_succeeded' && job.state === 'failed' ? 'warn' : level]({ reason: step.reason }, 'job event ignored');
    return step;
  }

  const event = <S extends Subject>(subject: S, data: EventData<S>, id: string) =>
    createEvent({ subject, data, id, correlationId: order.orderId, causationId: cause.eventId });
  const ref = jobRef(order, job);
  // The failure class of a job this step fails; null for any other step.
  let failedAs: FailureClass | null = null;

  switch (ev.type) {
    case 'task_submitted':
      await store.updateJob(tx, jobId, {
        state: step.to,
        attempt: ev.attempt,
        task_id: ev.taskId,
        key_name: ev.keyName,
        // The overall deadline counts from KIE's acceptance, not from queueing.
        submitted_at: new Date(),
      });
      await startGeneration(tx, order, cause);
      break;
    case 'task_succeeded': {
      const attempt = Math.max(job.attempt, ev.attempt);
      await store.updateJob(tx, jobId, { state: step.to, attempt, task_id: ev.taskId, video_url: ev.videoUrl });
      // The success overtook its submission: the seller still hears "started" first.
      await startGeneration(tx, order, cause);
      await enqueue(tx, event('jobs.video.ready.v1', { ...ref, videoUrl: ev.videoUrl }, deterministicId('video-ready', jobId)));
      break;
    }
    case 'task_failed':
    case 'video_undeliverable':
    case 'deadline_passed': {
      const { reason, detail } = failureOf(ev);
      failedAs = reason;
      await store.updateJob(tx, jobId, { state: step.to, failure_reason: reason, failure_detail: detail });
      await enqueue(
        tx,
        event('jobs.video.failed.v1', { ...ref, reason, detail }, deterministicId('video-failed', jobId)),
      );
      break;
    }
    case 'video_sent': {
      await store.updateJob(tx, jobId, { state: step.to, message_id: ev.messageId, video_file_id: ev.fileId ?? null });
      const reservedAt = cause.tally ? await store.firstDeliveryOf(tx, order.orderId, jobId) : null;
      if (reservedAt) {
        const seconds = (Date.now() - reservedAt.getTime()) / 1000;
        cause.tally!.add((m) => m.firstVideoWait(seconds));
      }
      await enqueue(tx, event('jobs.video.delivered.v1', ref, deterministicId('video-delivered', jobId)));
      break;
    }
    default: {
      const never: never = ev;
      throw new Error(`unhandled job event ${JSON.stringify(never)}`);
    }
  }
  jlog.info({ to: step.to }, 'job advanced');
  if (isTerminal(step.to)) {
    cause.tally?.add((m) => m.videoFinished(failedAs));
    await completeIfDone(tx, order, cause, jlog);
  }
  return step;
}

/** The failure class and the detail a failing job event stores and reports. */
function failureOf(ev: Extract<JobEvent, { type: 'task_failed' | 'video_undeliverable' | 'deadline_passed' }>): {
  reason: FailureClass;
  detail: string;
} {
  switch (ev.type) {
    case 'task_failed':
      return { reason: ev.reason, detail: ev.detail.slice(0, 2000) };
    case 'video_undeliverable':
      return { reason: 'undeliverable', detail: `not deliverable to the chat: ${ev.reason}`.slice(0, 2000) };
    case 'deadline_passed':
      return { reason: 'expired', detail: 'no outcome within the overall deadline' };
  }
}

/** "Generation started", once per order: on the first job that reaches KIE. */
async function startGeneration(tx: Sql, order: OrderRow, cause: Cause): Promise<void> {
  if (!(await store.markGenerationStarted(tx, order.orderId))) return;
  await enqueue(
    tx,
    createEvent({
      subject: 'jobs.generation.started.v1',
      data: { userId: order.userId, chatId: order.chatId, locale: order.locale, orderId: order.orderId, count: order.count! },
      id: deterministicId('generation-started', order.orderId),
      correlationId: order.orderId,
      causationId: cause.eventId,
    }),
  );
}

/**
 * Completes the order when every job has an outcome. The caller holds the order's row
 * lock, so of two jobs finishing at once the second sees the first's state and exactly
 * one of them completes the order.
 */
async function completeIfDone(tx: Sql, order: OrderRow, cause: Cause, log: Logger): Promise<void> {
  if (order.status !== 'active') return;
  const outcome = orderOutcome(await store.jobStates(tx, order.orderId), order.count!);
  if (!outcome.complete) return;
  await store.completeOrder(tx, order.orderId, outcome.delivered, outcome.failed);
  if (cause.tally) {
    const counted = orderMetricOutcome(outcome.delivered, await store.failureReasons(tx, order.orderId));
    cause.tally.add((m) => m.orderFinished(counted));
  }
  await enqueue(
    tx,
    createEvent({
      subject: 'jobs.order.completed.v1',
      data: {
        userId: order.userId,
        chatId: order.chatId,
        locale: order.locale,
        orderId: order.orderId,
        count: order.count!,
        delivered: outcome.delivered,
        failed: outcome.failed,
      },
      id: deterministicId('order-completed', order.orderId),
      correlationId: order.orderId,
      causationId: cause.eventId,
    }),
  );
  log.info({ delivered: outcome.delivered, failed: outcome.failed }, 'order completed');
}
