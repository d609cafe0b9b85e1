import { createEvent, deterministicId } from '@neurocards/contracts';

/**
 * `kie.task.submitted.v1`, built in one place: by the submission when createTask answers, and
 * by the callback that adopts a task whose answer was lost. One id per (job, attempt), so
 * whichever path reports first, the event is published once.
 */
export function submittedEvent(
  task: { orderId: string; jobId: string; submitEventId: string },
  attempt: number,
  taskId: string,
  keyName: string,
) {
  return createEvent({
    subject: 'kie.task.submitted.v1',
    id: deterministicId('kie.task.submitted.v1', task.jobId, attempt),
    correlationId: task.orderId,
    causationId: task.submitEventId,
    data: { orderId: task.orderId, jobId: task.jobId, attempt, taskId, keyName },
  });
}
