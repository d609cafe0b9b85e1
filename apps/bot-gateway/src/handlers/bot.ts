import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { Bot, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { Logger } from '@neurocards/platform';
import { loggableError } from '../adapters/telegram-errors';
import type { UpdateDedup } from '../adapters/update-dedup';
import type { T } from '../i18n';
import { adminComposer, type AdminDeps } from './admin';
import { conversationComposer, type ConversationDeps } from './conversation';
import { guard } from './guard';
import { queueCancelComposer } from './queue-cancel';
import type { InFlight } from './in-flight';

export interface BotDeps {
  token: string;
  apiRoot: string;
  /** Skips getMe at start (tests). */
  botInfo?: UserFromGetMe;
  dedup: UpdateDedup;
  t: T;
  log: Logger;
  mode: 'polling' | 'webhook';
  inFlight?: InFlight;
  conversation: Omit<ConversationDeps, 't' | 'log'>;
  admin: Omit<AdminDeps, 't' | 'log'>;
}

/** The grammY bot: per-chat ordering, de-duplication, admin commands, the conversation. */
export function createBot(deps: BotDeps): Bot {
  const bot = new Bot<Context>(deps.token, {
    client: { apiRoot: deps.apiRoot },
    ...(deps.botInfo ? { botInfo: deps.botInfo } : {}),
  });
  const log = deps.log.child({ module: 'bot' });
  // 429s: wait `retry_after` and retry (Telegram: ~1 msg/s per chat, ~30 msg/s overall).
  bot.api.config.use(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 60 }));
  // Failed Bot API calls are logged by method; the polling runner would otherwise swallow
  // getUpdates failures. grammY's error messages name the method, never the token URL.
  bot.api.config.use(async (prev, method, payload, signal) => {
    try {
      return await prev(method, payload, signal);
    } catch (err) {
      if (!signal?.aborted) log.warn({ err: loggableError(err), method }, 'Bot API call failed');
      throw err;
    }
  });

  // One update per chat at a time, in order (also in webhook mode, within this process).
  bot.use(sequentialize((ctx: Context) => ctx.chat?.id.toString() ?? ctx.from?.id.toString()));
  bot.use(
    guard({
      dedup: deps.dedup,
      t: deps.t,
      log: deps.log,
      rethrow: deps.mode === 'webhook',
      ...(deps.inFlight ? { inFlight: deps.inFlight } : {}),
    }),
  );
  bot.use(adminComposer({ ...deps.admin, t: deps.t, log: deps.log }));
  // The notifier's "Cancel queued videos" button; other buttons are the conversation's.
  bot.use(queueCancelComposer({ publish: deps.conversation.publish, t: deps.t, log: deps.log }));
  bot.use(conversationComposer({ ...deps.conversation, t: deps.t, log: deps.log }));

  // Reached only when the guard itself fails (e.g. NATS unavailable for the de-dup claim).
  bot.catch((e) => log.error({ err: loggableError(e), updateId: e.ctx.update.update_id }, 'update failed'));
  return bot;
}
