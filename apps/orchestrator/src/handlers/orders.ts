import { createEvent, deterministicId, type Subject } from '@neurocards/contracts';
import { enqueue, processOnce, TransientError, type EventOf, type HandlerContext } from '@neurocards/platform';
import * as store from '../adapters/store';
import type { Deps } from './deps';

/** Job ids follow from the order and the video number, so a repeated reservation reuses them. */
export const jobIdOf = (orderId: string, index: number) => deterministicId('job', orderId, index);

type On<S extends Subject> = (event: EventOf<S>, ctx: HandlerContext) => Promise<void>;

/** The order's details (template, wishes, photo); its saga starts when credits are held. */
export function onOrderPlaced({ sql }: Deps): On<'orders.order.placed.v1'> {
  return async (event, ctx) => {
    await processOnce(sql, ctx, event.id, async (tx) => {
      const created = await store.insertPlacedOrder(tx, event.data);
      ctx.log.info({ created }, 'order placed');
    });
  };
}

/** Credits held: insert the jobs and ask for their prompts, all in one transaction. */
export function onCreditsReserved({ sql }: Deps): On<'billing.credits.reserved.v1'> {
  return async (event, ctx) => {
    const { orderId } = event.data;
    const log = ctx.log;
    await processOnce(sql, ctx, event.id, async (tx) => {
      const order = await store.findOrder(tx, orderId, { lock: true });
      if (!order) {
        // The placement is consumed separately and may not be stored yet (e.g. a backlog
        // after a restart). The rollback forgets this delivery too; the consumer's growing
        // back-off (up to a minute, 10 deliveries) gives the placement minutes to land.
        throw new TransientError(`order ${orderId} is not known yet`);
      }
      if (order.status !== 'placed') {
        log.info({ status: order.status }, 'reservation for an order already under way ignored');
        return;
      }
      const count = order.count!;
      // Orders from before prices existed hold 1 credit per video.
      const expected = count * (order.creditsPerVideo ?? 1);
      if (event.data.amount !== expected) {
        log.error({ amount: event.data.amount, expected, count }, 'reserved amount differs from the order price');
      }
      const jobIds = Array.from({ length: count }, (_, i) => jobIdOf(orderId, i + 1));
      await store.activateOrder(tx, orderId, jobIds);
      const chat = { userId: order.userId, chatId: order.chatId, locale: order.locale };
      await enqueue(
        tx,
        ...jobIds.map((jobId, i) =>
          createEvent({
            subject: 'jobs.prompt.requested.v1',
            data: { ...chat, orderId, jobId, index: i + 1, count },
            id: deterministicId('prompt-requested', jobId),
            correlationId: orderId,
            causationId: event.id,
          }),
        ),
      );
      log.info({ count }, 'order activated');
    });
  };
}

/** Not paid: the notifier tells the seller; here the order is only recorded as rejected. */
export function onCreditsRejected({ sql }: Deps): On<'billing.credits.rejected.v1'> {
  return async (event, ctx) => {
    await processOnce(sql, ctx, event.id, async (tx) => {
      const changed = await store.rejectOrder(tx, event.data);
      ctx.log.info({ changed }, 'order rejected');
    });
  };
}
