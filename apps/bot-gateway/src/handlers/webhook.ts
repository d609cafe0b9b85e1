import type { FastifyInstance } from 'fastify';
import { BotError, webhookCallback, type Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { safeEqual, type Logger } from '@neurocards/platform';
import { loggableError } from '../adapters/telegram-errors';
import { UpdateBusy } from './guard';

export const WEBHOOK_PATH = '/telegram/webhook';

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/** The least an update has (Bot API `Update`); anything else is not from Telegram. */
function looksLikeUpdate(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const id = (body as { update_id?: unknown }).update_id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
}

/**
 * `POST /telegram/webhook`: checks `X-Telegram-Bot-Api-Secret-Token` in constant time (401
 * on mismatch; grammY's own check is a plain `!==`), refuses a body that is not an update
 * (400, so a malformed request never reaches the bot and never counts as a failure), and
 * hands the update to the bot. A slow update is answered 200 after
 * `timeoutMs` and keeps running; a redelivery meanwhile answers 500 while the first still
 * holds its claim (UpdateBusy), and is skipped once it is done. A failed update answers 500,
 * so Telegram redelivers it. The error is logged here, made
 * safe: fastify's own error log would serialize grammY's BotError with its context, and the
 * context holds the bot token.
 */
export function registerWebhookRoute(
  app: FastifyInstance,
  bot: Bot,
  secretToken: string,
  log: Logger,
  timeoutMs = 8000,
): void {
  const handler = webhookCallback(bot, 'fastify', {
    onTimeout: 'return',
    timeoutMilliseconds: timeoutMs,
  });
  app.post(WEBHOOK_PATH, async (req, reply) => {
    if (!safeEqual(req.headers[SECRET_HEADER], secretToken)) return reply.code(401).send({ ok: false });
    if (!looksLikeUpdate(req.body)) return reply.code(400).send({ ok: false });
    // A payment is answered only once it is handed to billing, however long that takes: after
    // the usual 200-at-8-s, a failure could no longer make Telegram deliver it again.
    if (isPayment(req.body)) {
      try {
        if (!bot.isInited()) await bot.init();
        await bot.handleUpdate(req.body as Update);
        return await reply.send({ ok: true });
      } catch (err) {
        log.error({ err: loggableError(err) }, 'payment update failed; Telegram redelivers it');
        return reply.code(500).send({ ok: false });
      }
    }
    try {
      return await handler(req, reply);
    } catch (err) {
      if (err instanceof BotError && err.error instanceof UpdateBusy)
        log.info({ updateId: err.ctx.update.update_id }, 'update busy in another delivery; Telegram redelivers');
      else log.error({ err: loggableError(err) }, 'webhook update failed');
      return reply.code(500).send({ ok: false });
    }
  });
}

function isPayment(body: unknown): boolean {
  const message = (body as { message?: { successful_payment?: unknown } }).message;
  return typeof message === 'object' && message !== null && message.successful_payment !== undefined;
}
