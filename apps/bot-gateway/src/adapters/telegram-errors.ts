import { BotError, GrammyError, HttpError } from 'grammy';
import { scrubSecrets } from '@neurocards/platform';

/**
 * A grammY error made safe to log. The originals carry too much: an HttpError wraps
 * node-fetch's error, whose message quotes the request URL with the bot token; a BotError
 * holds the whole context (its `api.token` included); a GrammyError holds the request
 * payload (users' texts). pino would serialize all of that, so log this instead.
 */
export function loggableError(err: unknown): Error {
  if (err instanceof BotError) return loggableError(err.error);
  if (err instanceof HttpError) {
    const inner = err.error instanceof Error ? ` (${scrubSecrets(err.error.message)})` : '';
    return named('HttpError', `${err.message}${inner}`);
  }
  if (err instanceof GrammyError) {
    return Object.assign(named('GrammyError', err.message), {
      method: err.method,
      errorCode: err.error_code,
    });
  }
  if (err instanceof Error) return err;
  return named('Error', String(err));
}

function named(name: string, message: string): Error {
  const e = new Error(scrubSecrets(message));
  e.name = name;
  return e;
}

/**
 * Answers a button press, tolerating a press Telegram no longer accepts an answer for.
 * Telegram gives ~15 s to answer a callback query; an update handled again after a crash
 * (polling mode stores updates and replays them, docs/design.md §6) is often older, and
 * `answerCallbackQuery` then fails with 400 "query is too old". The answer is only the
 * spinner and toast: the seller still gets the reply message, so a 400 here must not fail
 * the update (it would be replayed until parked, with no reply ever sent).
 * https://core.telegram.org/bots/api#answercallbackquery
 */
export async function answerCallbackQuietly(
  ctx: { answerCallbackQuery(other?: { text?: string; show_alert?: boolean }): Promise<unknown> },
  answer?: { text?: string; show_alert?: boolean },
): Promise<boolean> {
  try {
    await ctx.answerCallbackQuery(answer);
    return true;
  } catch (err) {
    if (err instanceof GrammyError && err.error_code === 400) return false;
    throw err;
  }
}
