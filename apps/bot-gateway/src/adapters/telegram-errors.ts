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
