import type { Envelope, EventData } from '@neurocards/contracts';
import { processOnce, type HandlerContext } from '@neurocards/platform';
import { Tally } from '../adapters/metrics';
import type { Deps } from './deps';
import { advanceJob, type JobEvent } from './job-flow';

type JobSubject =
  | 'kie.task.submitted.v1'
  | 'kie.task.succeeded.v1'
  | 'kie.task.failed.v1'
  | 'notify.video.sent.v1'
  | 'notify.video.undeliverable.v1';

/** One handler shape for every event that moves a job: idempotent, one transaction. */
function jobHandler<S extends JobSubject>(deps: Deps, toJobEvent: (data: EventData<S>) => JobEvent) {
  return async (event: Envelope<EventData<S>>, ctx: HandlerContext): Promise<void> => {
    const { orderId, jobId } = event.data;
    const tally = new Tally();
    await processOnce(deps.sql, ctx, event.id, (tx) =>
      advanceJob(tx, jobId, toJobEvent(event.data), { eventId: event.id, orderId, tally }, ctx.log),
    );
    tally.commit(deps.metrics);
  };
}

/** KIE accepted a task (one per attempt): the job is generating. */
export const onTaskSubmitted = (deps: Deps) =>
  jobHandler<'kie.task.submitted.v1'>(deps, (d) => ({
    type: 'task_submitted',
    attempt: d.attempt,
    taskId: d.taskId,
    keyName: d.keyName,
  }));

/** The video exists: the notifier sends the first URL to the chat. */
export const onTaskSucceeded = (deps: Deps) =>
  jobHandler<'kie.task.succeeded.v1'>(deps, (d) => ({
    type: 'task_succeeded',
    attempt: d.attempt,
    taskId: d.taskId,
    videoUrl: d.videoUrls[0]!,
  }));

/** KIE work ended without a video, after the dispatcher's retries. */
export const onTaskFailed = (deps: Deps) =>
  jobHandler<'kie.task.failed.v1'>(deps, (d) => ({
    type: 'task_failed',
    attempt: d.attempt,
    taskId: d.taskId,
    reason: d.reason,
    detail: d.message,
  }));

/** The video reached the chat: billing captures its credit. */
export const onVideoSent = (deps: Deps) =>
  jobHandler<'notify.video.sent.v1'>(deps, (d) => ({
    type: 'video_sent',
    messageId: d.messageId,
    ...(d.fileId !== undefined ? { fileId: d.fileId } : {}),
  }));

/**
 * The notifier gave up on sending a ready video (bot blocked, chat gone, result URL
 * expired, too big): the job fails as `undeliverable` and billing refunds its credit.
 * For a job in any other state (delivered, already failed) it changes nothing.
 */
export const onVideoUndeliverable = (deps: Deps) =>
  jobHandler<'notify.video.undeliverable.v1'>(deps, (d) => ({
    type: 'video_undeliverable',
    reason: d.reason,
  }));
