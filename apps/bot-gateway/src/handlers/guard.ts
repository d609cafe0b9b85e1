import type { Context, MiddlewareFn } from 'grammy';
import { pickLocale } from '@neurocards/i18n';
import type { Logger } from '@neurocards/platform';
import { loggableError } from '../adapters/telegram-errors';
import type { UpdateDedup } from '../adapters/update-dedup';
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
 * First middleware: drops repeated updates (claim by update_id) and contains failures.
 * The claim is inside the try: a de-duplication store that times out is a failure the
 * seller hears about, not one that is only logged (issue 7, "lost order").
 */
export function guard(deps: GuardDeps): MiddlewareFn<Context> {
  const log = deps.log.child({ module: 'updates' });
  const track = <R>(work: () => Promise<R>) => (deps.inFlight ? deps.inFlight.track(work) : work());
  return (ctx, next) =>
    track(async () => {
      const updateId = ctx.update.update_id;
      let claimed = false;
      try {
        try {
          claimed = await deps.dedup.claim(updateId, ctx.update);
        } catch (err) {
          throw new TemporaryFailure('update de-duplication unavailable', { cause: err });
        }
        if (!claimed) {
          log.info({ updateId }, 'duplicate update skipped');
          return;
        }
        await next();
      } catch (err) {
        log.error({ err: loggableError(err), updateId, chatId: ctx.chat?.id }, 'update handling failed');
        if (claimed)
          await deps.dedup
            .release(updateId)
            .catch((e: unknown) => log.warn({ err: loggableError(e), updateId }, 'release failed'));
        if (deps.rethrow && !(err instanceof TemporaryFailure)) throw err;
        await tellUser(ctx, deps.t).catch((e: unknown) =>
          log.warn({ err: loggableError(e), updateId }, 'could not report the failure'),
        );
      }
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
