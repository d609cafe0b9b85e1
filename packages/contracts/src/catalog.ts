import type { z } from 'zod';
import * as e from './events';

/**
 * Subject → data schema, for every event that travels through JetStream.
 * Subjects are `<domain>.<entity>.<event-in-past-tense>.v<N>`; commands are imperative.
 */
export const catalog = {
  'orders.order.placed.v1': e.orderPlaced,
  'billing.credits.reserved.v1': e.creditsReserved,
  'billing.credits.rejected.v1': e.creditsRejected,
  'billing.credits.captured.v1': e.creditsCaptured,
  'billing.credits.refunded.v1': e.creditsRefunded,
  'billing.credits.granted.v1': e.creditsGranted,
  'billing.credits.purchased.v1': e.creditsPurchased,
  'payments.star.paid.v1': e.starPaid,
  'jobs.prompt.requested.v1': e.promptRequested,
  'jobs.prompt.ready.v1': e.promptReady,
  'jobs.generation.started.v1': e.generationStarted,
  'jobs.video.ready.v1': e.videoReady,
  'jobs.video.delivered.v1': e.videoDelivered,
  'jobs.video.failed.v1': e.videoFailed,
  'jobs.order.completed.v1': e.orderCompleted,
  'kie.task.submit.v1': e.taskSubmit,
  'kie.task.submitted.v1': e.taskSubmitted,
  'kie.task.succeeded.v1': e.taskSucceeded,
  'kie.task.failed.v1': e.taskFailed,
  'kie.key.blocked.v1': e.keyBlocked,
  'kie.model.unavailable.v1': e.modelUnavailable,
  'kie.credits.low.v1': e.creditsLow,
  'kie.credits.recovered.v1': e.creditsRecovered,
  'kie.queue.cancel.v1': e.queueCancel,
  'kie.queue.stalled.v1': e.queueStalled,
  'kie.queue.recovered.v1': e.queueRecovered,
  'notify.video.sent.v1': e.videoSent,
  'notify.video.undeliverable.v1': e.videoUndeliverable,
  'telegram.update.received.v1': e.telegramUpdateReceived,
  'users.language.set.v1': e.languageSet,
} as const;

export type Catalog = typeof catalog;
export type Subject = keyof Catalog;
export type EventData<S extends Subject> = z.infer<Catalog[S]>;
export const subjects = Object.keys(catalog) as Subject[];

export function isSubject(s: string): s is Subject {
  return Object.hasOwn(catalog, s);
}
