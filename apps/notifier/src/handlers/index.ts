import { createEvent, deterministicId, WELCOME_GRANTOR, type SubjectOf } from '@neurocards/contracts';
import { enqueue, TransientError, type HandlersOf, type Logger } from '@neurocards/platform';
import type { SettlementLookup } from '../adapters/balance';
import type { ChatLocales } from '../adapters/chat-locales';
import type { OrderMessages } from '../adapters/delivery-log';
import * as m from '../domain/messages';
import { request, type Deliver } from './deliver';
import type { StatusMessages } from './status';

/** The subjects the notifier consumes, as the topology (`consumers.notifier`) lists them. */
export type NotifierSubject = SubjectOf<'notifier'>;
/** Exactly one handler per notifier consumer. */
export type NotifierHandlers = HandlersOf<'notifier'>;

export interface HandlerDeps {
  deliver: Deliver;
  /** The order's one status message (sent on the reservation, edited as the order moves). */
  status: StatusMessages;
  /** The order's settlement in billing (the summary waits for it and shows the balance after it). */
  settlement: SettlementLookup;
  /** The order's video and failure messages recorded so far (the summary comes after them). */
  orderMessages: (orderId: string) => Promise<OrderMessages>;
  /** SUPPORT_CONTACT; empty when not configured. */
  supportContact: string;
  adminIds: readonly number[];
  /** The language each chat chose (admin alerts go in the admin's). */
  chatLocales: ChatLocales;
}

/**
 * One handler per consumer. Each is idempotent through the delivery log: a redelivered
 * or duplicated event finds its message key done and sends nothing.
 */
/**
 * How many deliveries of an order's completion wait for its settlement and its other
 * messages (with a growing pause, ~18 s in all) before the summary goes as things stand:
 * below the consumer's max_deliver (10), so a wait never parks the event.
 */
export const SUMMARY_MAX_WAITS = 8;
const summaryPauseMs = (deliveryCount: number) => Math.min(5000, 500 * deliveryCount);

export function createHandlers({
  deliver,
  status,
  settlement,
  orderMessages,
  supportContact,
  adminIds,
  chatLocales,
}: HandlerDeps): NotifierHandlers {
  return {
    'billing.credits.reserved.v1': async (e, ctx) => {
      await status.reserved(e.data, e.id, ctx.log);
    },

    'billing.credits.rejected.v1': async (e, ctx) => {
      await deliver(request(e.id, m.creditsRejected(e.data, supportContact), ctx.log));
    },

    'billing.credits.granted.v1': async (e, ctx) => {
      // The welcome bonus is announced in bot-gateway's greeting itself; a second message
      // saying the same would only be noise.
      if (e.data.grantedBy === WELCOME_GRANTOR) return;
      await deliver(request(e.id, m.creditsGranted(e.data, e.data.locale), ctx.log));
    },

    'billing.credits.purchased.v1': async (e, ctx) => {
      await deliver(request(e.id, m.creditsPurchased(e.data), ctx.log));
    },

    'jobs.generation.started.v1': async (e, ctx) => {
      // No message of its own: the status message says so (design §6.1).
      await status.started(e.data, ctx.log);
    },

    'jobs.video.ready.v1': async (e, ctx) => {
      const d = e.data;
      const log = ctx.log.child({ jobId: d.jobId, orderId: d.orderId });
      // Every video ends in exactly one of two events, written with its delivery-log entry:
      // sent (billing captures the credit) or undeliverable (the orchestrator fails the
      // job and billing refunds it). Ids per job, so a second attempt cannot add another.
      const meta = { correlationId: d.orderId, causationId: e.id };
      const job = { orderId: d.orderId, jobId: d.jobId, chatId: d.chatId };
      await deliver(
        request(e.id, m.videoReady(d), log, {
          orderId: d.orderId,
          onSent: async (tx, sent) => {
            const id = deterministicId('notify.video.sent.v1', d.jobId);
            // The file_id lets /orders send the video again once KIE's URL has expired.
            const data = { ...job, messageId: sent.messageId, ...(sent.fileId ? { fileId: sent.fileId } : {}) };
            await enqueue(tx, createEvent({ subject: 'notify.video.sent.v1', id, data, ...meta }));
          },
          onUndeliverable: async (tx, reason) => {
            const id = deterministicId('notify.video.undeliverable.v1', d.jobId);
            const data = { ...job, reason: reason.slice(0, 500) || 'undeliverable' };
            await enqueue(tx, createEvent({ subject: 'notify.video.undeliverable.v1', id, data, ...meta }));
          },
        }),
      );
    },

    'jobs.video.failed.v1': async (e, ctx) => {
      const log = ctx.log.child({ jobId: e.data.jobId, reason: e.data.reason });
      await deliver(request(e.id, m.videoFailed(e.data, supportContact), log, { orderId: e.data.orderId }));
    },

    'jobs.order.completed.v1': async (e, ctx) => {
      const d = e.data;
      // The summary comes last in the chat and shows the balance after every capture and
      // refund of the order: it waits (redelivered with a pause) until this order's video and
      // failure messages are recorded and billing has settled every video, for a bounded time.
      const [mine, billing] = await Promise.all([orderMessages(d.orderId), settlement(d.orderId)]);
      const ready = mine.videosSent >= d.delivered && mine.failuresDone >= d.failed && billing?.settled === true;
      if (!ready && ctx.deliveryCount < SUMMARY_MAX_WAITS) {
        ctx.log.info({ orderId: d.orderId, ...mine, settled: billing?.settled ?? null }, 'order summary waits for the order to settle');
        throw new TransientError(`summary of order ${d.orderId} waits for its settlement`, summaryPauseMs(ctx.deliveryCount));
      }
      if (!ready) ctx.log.warn({ orderId: d.orderId, ...mine, settled: billing?.settled ?? null }, 'order summary sent before the order settled');
      // The balance is read again once the key is claimed: a redelivery of a sent summary
      // does not bother billing, and the figure is the latest.
      await deliver({
        eventId: e.id,
        key: m.summaryKey(d.orderId),
        purpose: 'order-summary',
        chatId: d.chatId,
        build: async () => {
          const now = await settlement(d.orderId);
          return m.orderSummary(d, now?.found ? now.balance : null);
        },
        log: ctx.log,
      });
    },

    'kie.key.blocked.v1': async (e, ctx) => {
      const log = ctx.log.child({ keyName: e.data.keyName, allKeysBlocked: e.data.allKeysBlocked });
      await alertAdmins((l) => m.keyBlockedAlerts(e.id, e.data, adminIds, l), e.id, log);
    },

    'kie.model.unavailable.v1': async (e, ctx) => {
      const log = ctx.log.child({ model: e.data.model, account: e.data.account });
      await alertAdmins((l) => m.modelUnavailableAlerts(e.data, adminIds, l), e.id, log);
    },

    'kie.credits.low.v1': async (e, ctx) => {
      await alertAdmins((l) => m.creditAlerts(e.id, 'low', e.data, adminIds, l), e.id, ctx.log.child({ account: e.data.account }));
    },

    'kie.credits.recovered.v1': async (e, ctx) => {
      const log = ctx.log.child({ account: e.data.account });
      await alertAdmins((l) => m.creditAlerts(e.id, 'recovered', e.data, adminIds, l), e.id, log);
    },

    'kie.queue.stalled.v1': async (e, ctx) => {
      await alertAdmins((l) => m.queueAlerts(e.id, 'stalled', e.data, adminIds, l), e.id, ctx.log.child({ waiting: e.data.waiting }));
    },

    'kie.queue.recovered.v1': async (e, ctx) => {
      await alertAdmins((l) => m.queueAlerts(e.id, 'recovered', e.data, adminIds, l), e.id, ctx.log.child({ waiting: e.data.waiting }));
    },

    'users.language.set.v1': async (e, ctx) => {
      // Kept for every chat (a chat id and a locale): whoever becomes an admin later keeps the choice.
      await chatLocales.save(e.data);
      ctx.log.debug({ chatId: e.data.chatId, locale: e.data.locale }, 'chat language recorded');
    },
  };

  /** Alerts every admin, each in the language the admin chose (read at send time). */
  async function alertAdmins(build: (locales: m.AdminLocales) => m.TextMessage[], eventId: string, log: Logger) {
    const alerts = build(await chatLocales.of(adminIds));
    if (alerts.length === 0) {
      log.error('an admin alert is due but ADMIN_TG_IDS is empty: nobody to alert');
      return;
    }
    // One after another: a failure stops here and the redelivery skips admins already told.
    for (const alert of alerts) await deliver(request(eventId, alert, log));
  }
}
