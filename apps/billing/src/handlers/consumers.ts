import { createEvent, deterministicId, type FailureClass } from '@neurocards/contracts';
import {
  enqueue,
  processOnce,
  type EventOf,
  type HandlersOf,
  type HandlerContext,
  type OnceResult,
  type Sql,
} from '@neurocards/platform';
import type { Ledger } from '../adapters/ledger';
import type { BillingMetrics } from '../adapters/metrics';

export interface ConsumerDeps {
  sql: Sql;
  ledger: Ledger;
  /** Refund counts; absent in tests that do not read them. */
  metrics?: BillingMetrics;
}

/**
 * Handlers for billing's three consumers. Each runs its ledger change, its "processed" mark
 * and its outbox event in ONE transaction, so a redelivery or a crash between steps can
 * neither apply a change twice nor lose the event. Event ids are deterministic, so a
 * retried handler republishes the same id and JetStream drops the copy.
 */
export function createConsumers({ sql, ledger, metrics }: ConsumerDeps) {
  async function orderPlaced(event: EventOf<'orders.order.placed.v1'>, ctx: HandlerContext): Promise<void> {
    const d = event.data;
    const chat = { userId: d.userId, chatId: d.chatId, locale: d.locale };
    const log = ctx.log.child({ orderId: d.orderId, userId: d.userId });
    const res = await processOnce(sql, ctx, event.id, async (tx) => {
      const r = await ledger.reserve(tx, {
        orderId: d.orderId,
        userId: d.userId,
        count: d.count,
        // Absent on orders from before models had prices: 1 credit per video.
        creditsPerVideo: d.creditsPerVideo ?? 1,
      });
      const meta = { correlationId: d.orderId, causationId: event.id };
      switch (r.outcome) {
        case 'reserved':
          await enqueue(
            tx,
            createEvent({
              subject: 'billing.credits.reserved.v1',
              id: deterministicId('billing.credits.reserved', d.orderId),
              data: { ...chat, orderId: d.orderId, amount: r.amount, balance: r.balance },
              ...meta,
            }),
          );
          break;
        case 'rejected':
          await enqueue(
            tx,
            createEvent({
              subject: 'billing.credits.rejected.v1',
              id: deterministicId('billing.credits.rejected', d.orderId),
              data: {
                ...chat,
                orderId: d.orderId,
                requested: r.requested,
                balance: r.balance,
                reason: r.reason,
              },
              ...meta,
            }),
          );
          break;
        case 'duplicate':
          // Its decision and event were committed together the first time; nothing to redo.
          break;
        default: {
          const never: never = r;
          throw new Error(`unhandled reservation outcome ${JSON.stringify(never)}`);
        }
      }
      return r;
    });
    if (res.duplicate) log.info('order placed event already processed');
    else if (res.value.outcome === 'duplicate')
      log.info({ decided: res.value.decided }, 'order already decided');
    else
      log.info({ outcome: res.value.outcome, count: d.count, balance: res.value.balance }, 'order decided');
  }

  async function videoDelivered(
    event: EventOf<'jobs.video.delivered.v1'>,
    ctx: HandlerContext,
  ): Promise<void> {
    const d = event.data;
    const log = ctx.log.child({ orderId: d.orderId, jobId: d.jobId });
    const res = await processOnce(sql, ctx, event.id, async (tx) => {
      const r = await ledger.settle(tx, { orderId: d.orderId, jobId: d.jobId, how: 'capture' });
      if (!r.duplicate) {
        await enqueue(
          tx,
          createEvent({
            subject: 'billing.credits.captured.v1',
            id: deterministicId('billing.credits.captured', d.jobId),
            data: { orderId: d.orderId, jobId: d.jobId, userId: r.userId, amount: r.amount, balance: r.balance },
            correlationId: d.orderId,
            causationId: event.id,
          }),
        );
      }
      return r;
    });
    logSettled(log, 'capture', res);
  }

  async function videoFailed(event: EventOf<'jobs.video.failed.v1'>, ctx: HandlerContext): Promise<void> {
    const d = event.data;
    const reason: FailureClass = d.reason;
    const log = ctx.log.child({ orderId: d.orderId, jobId: d.jobId, reason });
    const res = await processOnce(sql, ctx, event.id, async (tx) => {
      const r = await ledger.settle(tx, { orderId: d.orderId, jobId: d.jobId, how: 'release', reason });
      if (!r.duplicate) {
        await enqueue(
          tx,
          createEvent({
            subject: 'billing.credits.refunded.v1',
            id: deterministicId('billing.credits.refunded', d.jobId),
            data: {
              orderId: d.orderId,
              jobId: d.jobId,
              userId: r.userId,
              amount: r.amount,
              balance: r.balance,
              reason,
            },
            correlationId: d.orderId,
            causationId: event.id,
          }),
        );
      }
      return r;
    });
    // Counted after the commit, and only for the release this delivery made.
    if (!res.duplicate && !res.value.duplicate) metrics?.refunded(reason, res.value.amount);
    logSettled(log, 'release', res);
  }

  /**
   * A Stars payment: the purchase row (keyed by the charge id), its ledger row, the processed
   * mark and the receipt event commit together. A billing killed before the commit leaves
   * nothing, and the unacked event comes again; after it, every repeat is a no-op.
   */
  async function starPaid(event: EventOf<'payments.star.paid.v1'>, ctx: HandlerContext): Promise<void> {
    const d = event.data;
    const log = ctx.log.child({ chargeId: d.chargeId, purchaseId: d.purchaseId, userId: d.userId });
    const res = await processOnce(sql, ctx, event.id, async (tx) => {
      const r = await ledger.purchase(tx, {
        chargeId: d.chargeId,
        providerChargeId: d.providerChargeId,
        purchaseId: d.purchaseId,
        userId: d.userId,
        credits: d.credits,
        stars: d.stars,
        invoiceCreatedAt: d.invoiceCreatedAt,
        resume: d.resume,
      });
      if (r.applied) {
        await enqueue(
          tx,
          createEvent({
            subject: 'billing.credits.purchased.v1',
            id: deterministicId('billing.credits.purchased', d.chargeId),
            data: {
              userId: d.userId,
              chatId: d.chatId,
              locale: d.locale,
              chargeId: d.chargeId,
              purchaseId: d.purchaseId,
              credits: d.credits,
              stars: d.stars,
              balance: r.balance,
              ...(d.resume ? { resume: d.resume } : {}),
            },
            correlationId: d.purchaseId,
            causationId: event.id,
          }),
        );
      }
      return r;
    });
    if (res.duplicate) log.info('payment event already processed');
    else if (!res.value.applied) log.info('charge already granted');
    else log.info({ credits: d.credits, stars: d.stars, balance: res.value.balance }, 'credits purchased');
  }

  return {
    'payments.star.paid.v1': starPaid,
    'orders.order.placed.v1': orderPlaced,
    'jobs.video.delivered.v1': videoDelivered,
    'jobs.video.failed.v1': videoFailed,
  } satisfies HandlersOf<'billing'>;
}

function logSettled(
  log: HandlerContext['log'],
  how: 'capture' | 'release',
  res: OnceResult<{ duplicate: boolean; balance: number }>,
): void {
  if (res.duplicate) log.info(`${how}: event already processed`);
  else if (res.value.duplicate) log.info(`${how}: job already settled`);
  else log.info({ balance: res.value.balance }, `credit ${how}d`);
}
