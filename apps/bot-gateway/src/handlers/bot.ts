import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { Bot, type Context, type Transformer } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { telegramMetricsTransformer, type Logger, type TelegramBudget, type TelegramMetrics } from '@neurocards/platform';
import { sendBudgetTransformer } from '../adapters/send-budget';
import { loggableError } from '../adapters/telegram-errors';
import type { UpdateDedup } from '../adapters/update-dedup';
import type { T } from '../i18n';
import { adminComposer, type AdminDeps } from './admin';
import { conversationComposer, type ConversationDeps } from './conversation';
import { guard } from './guard';
import { ordersComposer, type OrdersDeps } from './orders';
import { paymentsComposer, preCheckoutComposer, type PaymentsDeps } from './payments';
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
  /** Telegram's limits, shared with the notifier (KV `telegram_budget`). */
  budget: TelegramBudget;
  /** Bot API latency and 429s on the service's `/metrics`. */
  telegramMetrics?: TelegramMetrics;
  inFlight?: InFlight;
  conversation: Omit<ConversationDeps, 't' | 'log'>;
  admin: Omit<AdminDeps, 't' | 'log'>;
  /** `/orders` and its re-send buttons. */
  orders: Omit<OrdersDeps, 't' | 'log'>;
  /** Credit packs for Stars: /buy, invoices, pre-checkout, successful payments. */
  payments: Omit<PaymentsDeps, 't' | 'log'>;
}

/** The grammY bot: per-chat ordering, de-duplication, admin commands, the conversation. */
export function createBot(deps: BotDeps): Bot {
  const bot = new Bot<Context>(deps.token, {
    client: { apiRoot: deps.apiRoot },
    ...(deps.botInfo ? { botInfo: deps.botInfo } : {}),
  });
  const log = deps.log.child({ module: 'bot' });
  // Transformers installed later wrap the earlier ones: the budget is innermost, so every
  // attempt (a retry too) takes its slot; auto-retry wraps it; the logger sees what is left.
  // Innermost of all: each attempt's own latency, without the wait for a budget slot.
  // (Structurally a grammY transformer: the platform does not depend on grammY.)
  if (deps.telegramMetrics) bot.api.config.use(telegramMetricsTransformer(deps.telegramMetrics) as unknown as Transformer);
  bot.api.config.use(sendBudgetTransformer({ budget: deps.budget, log }));
  // A reply is never dropped for a 429: auto-retry waits `retry_after` and sends again
  // (https://grammy.dev/plugins/auto-retry). Bounds: 8 attempts, and flood waits of up to
  // 5 min (longer ones are an outage the seller hears about, not pacing); 5xx and network
  // errors back off from 3 s. getUpdates is left to the poller, which has its own back-off.
  const retry = autoRetry({ maxRetryAttempts: 8, maxDelaySeconds: 300 });
  bot.api.config.use((prev, method, payload, signal) =>
    method === 'getUpdates' ? prev(method, payload, signal) : retry(prev, method, payload, signal),
  );
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

  // Pre-checkout first: answered from the query alone, never behind the chat's other updates
  // or the update claim's KV round trip (Telegram waits 10 s at most).
  bot.use(preCheckoutComposer({ ...deps.payments, t: deps.t, log: deps.log }));
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
  bot.use(paymentsComposer({ ...deps.payments, t: deps.t, log: deps.log }));
  // The notifier's "Cancel queued videos" button; other buttons are the conversation's.
  bot.use(queueCancelComposer({ publish: deps.conversation.publish, t: deps.t, log: deps.log }));
  bot.use(ordersComposer({ ...deps.orders, t: deps.t, log: deps.log }));
  bot.use(conversationComposer({ ...deps.conversation, t: deps.t, log: deps.log }));

  // Reached only when the guard itself fails (e.g. NATS unavailable for the de-dup claim).
  bot.catch((e) => log.error({ err: loggableError(e), updateId: e.ctx.update.update_id }, 'update failed'));
  return bot;
}
