import { createEvent, deterministicId } from '@neurocards/contracts';
import { enqueue, type Handler } from '@neurocards/platform';
import type { BalanceLookup } from '../adapters/balance';
import * as m from '../domain/messages';
import { request, type Deliver } from './deliver';

/**
 * The subjects the notifier consumes. The topology types its subjects as any `Subject`,
 * so the list is spelled out here and a test checks it against `consumers.notifier`.
 */
export type NotifierSubject =
  | 'billing.credits.reserved.v1'
  | 'billing.credits.rejected.v1'
  | 'billing.credits.granted.v1'
  | 'jobs.generation.started.v1'
  | 'jobs.video.ready.v1'
  | 'jobs.video.failed.v1'
  | 'jobs.order.completed.v1'
  | 'kie.key.blocked.v1';
export type NotifierHandlers = { [S in NotifierSubject]: Handler<S> };

export interface HandlerDeps {
  deliver: Deliver;
  balance: BalanceLookup;
  /** SUPPORT_CONTACT; empty when not configured. */
  supportContact: string;
  adminIds: readonly number[];
}

/**
 * One handler per consumer. Each is idempotent through the delivery log: a redelivered
 * or duplicated event finds its message key done and sends nothing.
 */
export function createHandlers({ deliver, balance, supportContact, adminIds }: HandlerDeps): NotifierHandlers {
  return {
    'billing.credits.reserved.v1': async (e, ctx) => {
      await deliver(request(e.id, m.orderTaken(e.data), ctx.log));
    },

    'billing.credits.rejected.v1': async (e, ctx) => {
      await deliver(request(e.id, m.creditsRejected(e.data, supportContact), ctx.log));
    },

    'billing.credits.granted.v1': async (e, ctx) => {
      await deliver(request(e.id, m.creditsGranted(e.data, e.data.locale), ctx.log));
    },

    'jobs.generation.started.v1': async (e, ctx) => {
      await deliver(request(e.id, m.generationStarted(e.data), ctx.log));
    },

    'jobs.video.ready.v1': async (e, ctx) => {
      const d = e.data;
      const log = ctx.log.child({ jobId: d.jobId, orderId: d.orderId });
      // Only when the video reached the chat: an undeliverable one is left to the
      // orchestrator's deadline, which refunds it.
      await deliver(
        request(e.id, m.videoReady(d), log, async (tx, sent) => {
          const event = createEvent({
            subject: 'notify.video.sent.v1',
            id: deterministicId('notify.video.sent.v1', d.jobId),
            correlationId: d.orderId,
            causationId: e.id,
            data: { orderId: d.orderId, jobId: d.jobId, chatId: d.chatId, messageId: sent.messageId },
          });
          await enqueue(tx, event);
        }),
      );
    },

    'jobs.video.failed.v1': async (e, ctx) => {
      const log = ctx.log.child({ jobId: e.data.jobId, reason: e.data.reason });
      await deliver(request(e.id, m.videoFailed(e.data, supportContact), log));
    },

    'jobs.order.completed.v1': async (e, ctx) => {
      const d = e.data;
      // The balance is fetched only after the key is claimed: a redelivery of a sent
      // summary does not bother billing.
      await deliver({
        eventId: e.id,
        key: m.summaryKey(d.orderId),
        purpose: 'order-summary',
        chatId: d.chatId,
        build: async () => m.orderSummary(d, await balance(d.userId)),
        log: ctx.log,
      });
    },

    'kie.key.blocked.v1': async (e, ctx) => {
      const alerts = m.keyBlockedAlerts(e.id, e.data, adminIds);
      const log = ctx.log.child({ keyName: e.data.keyName, allKeysBlocked: e.data.allKeysBlocked });
      if (alerts.length === 0) {
        log.error('a KIE key is blocked but ADMIN_TG_IDS is empty: nobody to alert');
        return;
      }
      // One after another: a failure stops here and the redelivery skips admins already told.
      for (const alert of alerts) await deliver(request(e.id, alert, log));
    },
  };
}
