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
   * is released first). Polling mode: the update is gone, so tell the user and carry on.
   */
  rethrow: boolean;
  inFlight?: InFlight;
}

/**
 * First middleware: drops repeated updates (claim by update_id) and contains failures.
 */
export function guard(deps: GuardDeps): MiddlewareFn<Context> {
  const log = deps.log.child({ module: 'updates' });
  const track = <R>(work: () => Promise<R>) => (deps.inFlight ? deps.inFlight.track(work) : work());
  return (ctx, next) =>
    track(async () => {
      const updateId = ctx.update.update_id;
      if (!(await deps.dedup.claim(updateId, ctx.update))) {
        log.info({ updateId }, 'duplicate update skipped');
        return;
      }
      try {
        await next();
      } catch (err) {
        log.error({ err: loggableError(err), updateId, chatId: ctx.chat?.id }, 'update handling failed');
        await deps.dedup
          .release(updateId)
          .catch((e: unknown) => log.warn({ err: e, updateId }, 'release failed'));
        if (deps.rethrow) throw err;
        await tellUser(ctx, deps.t).catch((e: unknown) =>
          log.warn({ err: loggableError(e), updateId }, 'could not report the failure'),
        );
      }
    });
}

async function tellUser(ctx: Context, t: T): Promise<void> {
  const text = t(pickLocale(ctx.from?.language_code), 'internalError');
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text });
  else if (ctx.chat) await ctx.reply(text);
}
