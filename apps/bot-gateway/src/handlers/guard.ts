import type { Context, MiddlewareFn } from 'grammy';
import { pickLocale } from '@neurocards/i18n';
import { TransientError, type Logger } from '@neurocards/platform';
import { loggableError } from '../adapters/telegram-errors';
import type { Claim, Lease, UpdateDedup } from '../adapters/update-dedup';
import type { T } from '../i18n';
import type { InFlight } from './in-flight';

export interface GuardDeps {
  dedup: UpdateDedup;
  t: T;
  log: Logger;
  /**
   * Webhook mode: rethrow, so the request fails and Telegram redelivers the update (the claim
   * is released first). Polling mode: the update came from the UPDATES stream and is acked
   * once answered, so tell the user to repeat and carry on.
   */
  rethrow: boolean;
  inFlight?: InFlight;
}

/**
 * A step that is safe to repeat failed before anything changed (the de-duplication store or
 * NATS did not answer, the order was not acknowledged in time): the seller is told to press
 * again, in every mode, instead of waiting for a redelivery they cannot see.
 */
export class TemporaryFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemporaryFailure';
  }
}

/**
 * Another delivery of this update is being handled right now (its lease is fresh). The
 * delivery fails without a word to the seller, so it comes again later: answering it would
 * lose the update if the holder then died (webhook: 500, Telegram redelivers; polling: the
 * UPDATES message is nak'ed with a delay). Once the holder finished, the repeat is skipped.
 */
export class UpdateBusy extends TransientError {
  constructor(updateId: number) {
    super(`update ${updateId} is being handled by another delivery`, BUSY_RETRY_MS);
    this.name = 'UpdateBusy';
  }
}
const BUSY_RETRY_MS = 5000;
/** A payment update that failed comes back this much later (polling: the UPDATES consumer). */
const PAYMENT_RETRY_MS = 2000;

/**
 * First middleware: drops repeated updates (a leased claim by update_id, see update-dedup.ts)
 * and contains failures. The claim is inside the try: a de-duplication store that times out
 * is a failure the seller hears about, not one that is only logged (issue 7, "lost order").
 * A process killed mid-handling leaves its claim `processing`; once the lease runs out, the
 * redelivery takes it over.
 */
export function guard(deps: GuardDeps): MiddlewareFn<Context> {
  const log = deps.log.child({ module: 'updates' });
  const track = <R>(work: () => Promise<R>) => (deps.inFlight ? deps.inFlight.track(work) : work());
  return (ctx, next) =>
    track(async () => {
      const updateId = ctx.update.update_id;
      let lease: Lease | null = null;
      try {
        let claim: Claim;
        try {
          claim = await deps.dedup.claim(updateId, ctx.update);
        } catch (err) {
          throw new TemporaryFailure('update de-duplication unavailable', { cause: err });
        }
        if (claim.kind === 'duplicate') {
          log.info({ updateId }, 'duplicate update skipped');
          return;
        }
        if (claim.kind === 'busy') {
          log.info({ updateId }, 'update is being handled by another delivery; retry later');
          throw new UpdateBusy(updateId);
        }
        lease = claim.lease;
        await next();
      } catch (err) {
        if (err instanceof UpdateBusy) throw err;
        log.error({ err: loggableError(err), updateId, chatId: ctx.chat?.id }, 'update handling failed');
        if (lease)
          await lease
            .release()
            .catch((e: unknown) => log.warn({ err: loggableError(e), updateId }, 'release failed'));
        // A payment (or Telegram's refund notice) not handed to billing must come again in every
        // mode (the seller cannot repeat it), whatever failed: the de-duplication store, the
        // locale lookup, the publish.
        // A TransientError is never parked, however many deliveries it takes.
        if (ctx.message && ('successful_payment' in ctx.message || 'refunded_payment' in ctx.message)) {
          throw err instanceof TransientError && err.name === 'PaymentNotRecorded'
            ? err
            : new TransientError(`payment update ${updateId} not handled`, PAYMENT_RETRY_MS, { cause: err });
        }
        if (deps.rethrow && !(err instanceof TemporaryFailure)) throw err;
        await tellUser(ctx, deps.t).catch((e: unknown) =>
          log.warn({ err: loggableError(e), updateId }, 'could not report the failure'),
        );
        return;
      }
      // Handled. A failed mark leaves the claim to expire: a later redelivery is handled again,
      // which the handlers' own idempotency makes safe (docs/design.md §6).
      await lease
        ?.done()
        .catch((e: unknown) => log.warn({ err: loggableError(e), updateId }, 'could not mark the update done'));
    });
}

/** Nothing was changed: the seller repeats the press (or message). A button gets a toast and a message. */
async function tellUser(ctx: Context, t: T): Promise<void> {
  const text = t(pickLocale(ctx.from?.language_code), 'temporaryFailure');
  if (ctx.callbackQuery) {
    // A toast alone is easy to miss; the message stays in the chat.
    await ctx.answerCallbackQuery({ text }).catch(() => undefined);
    if (ctx.chat) await ctx.reply(text);
  } else if (ctx.chat) await ctx.reply(text);
}
