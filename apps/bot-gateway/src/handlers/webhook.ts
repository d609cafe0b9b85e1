import type { FastifyInstance } from 'fastify';
import { BotError, webhookCallback, type Bot } from 'grammy';
import type { Logger } from '@neurocards/platform';
import { loggableError } from '../adapters/telegram-errors';
import { UpdateBusy } from './guard';

export const WEBHOOK_PATH = '/telegram/webhook';

/**
 * `POST /telegram/webhook`: grammY's fastify adapter checks `X-Telegram-Bot-Api-Secret-Token`
 * (401 on mismatch) and hands the update to the bot. A slow update is answered 200 after
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
    secretToken,
    onTimeout: 'return',
    timeoutMilliseconds: timeoutMs,
  });
  app.post(WEBHOOK_PATH, async (req, reply) => {
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
