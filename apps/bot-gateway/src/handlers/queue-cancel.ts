import { Composer, type Context } from 'grammy';
import { createEvent, deterministicId, parseQueueCancelCallback } from '@neurocards/contracts';
import { pickLocale } from '@neurocards/i18n';
import type { Logger, Publish } from '@neurocards/platform';
import { publishUntilAcked } from '../adapters/publish-retry';
import type { T } from '../i18n';
import { TemporaryFailure } from './guard';

export interface QueueCancelDeps {
  publish: Publish;
  t: T;
  log: Logger;
  /** How long the request's publish is retried before the seller is told to press again. */
  ackDeadlineMs?: number;
}

/**
 * The notifier's "Cancel queued videos" button (`qc:<orderId>`): publishes
 * `kie.queue.cancel.v1` for the seller who pressed it (the dispatcher cancels only that
 * seller's order, only videos not yet sent to KIE, and the credits come back) and answers
 * the press. Other callback data passes on to the conversation. A repeated press or a
 * redelivered update publishes a request the dispatcher finds nothing more to do for.
 */
export function queueCancelComposer(deps: QueueCancelDeps): Composer<Context> {
  const log = deps.log.child({ module: 'queue-cancel' });
  const c = new Composer<Context>();
  c.on('callback_query:data', async (ctx, next) => {
    const orderId = parseQueueCancelCallback(ctx.callbackQuery.data);
    if (orderId === null) return next();
    const userId = ctx.from.id;
    const event = createEvent({
      subject: 'kie.queue.cancel.v1',
      // One request per press: a redelivered update is dropped by the duplicate window.
      id: deterministicId('kie.queue.cancel.v1', orderId, String(ctx.update.update_id)),
      correlationId: orderId,
      data: { orderId, userId },
    });
    try {
      await publishUntilAcked(deps.publish, event, { deadlineMs: deps.ackDeadlineMs ?? 5000 });
    } catch (err) {
      throw new TemporaryFailure(`cancel of order ${orderId} not acknowledged`, { cause: err });
    }
    log.info({ orderId, userId, eventId: event.id }, 'cancel of queued videos requested');
    const locale = pickLocale(ctx.from.language_code);
    await ctx.answerCallbackQuery({ text: deps.t(locale, 'queueCancelRequested') });
  });
  return c;
}
