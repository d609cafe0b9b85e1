import { BotError, type Bot } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { consumers, streamOf } from '@neurocards/contracts';
import {
  createTelegramBudget,
  openKv,
  openObjectStore,
  provisionConsumers,
  provisionMode,
  startConsumer,
  telegramMetrics,
  type Publish,
  type RunningConsumer,
  type Runtime,
} from '@neurocards/platform';
import { createOfferSource } from './adapters/model-offer';
import { createPhotoStore } from './adapters/photo-store';
import { createBillingClient, createKieAdminClient, createOrdersClient, createQueueClient, createStatsClient } from './adapters/rpc-clients';
import { createKvSessionStore } from './adapters/session-store';
import { createUpdateDedup, type UpdateDedup } from './adapters/update-dedup';
import { startUpdatePoller, type UpdatePoller } from './adapters/update-poller';
import type { Config } from './config';
import { createBot } from './handlers/bot';
import { setBotCommands } from './adapters/bot-commands';
import { createInFlight } from './handlers/in-flight';
import { registerWebhookRoute, WEBHOOK_PATH } from './handlers/webhook';
import { t } from './i18n';

export interface Gateway {
  bot: Bot;
  /** After the HTTP server listens: set the webhook, or start long polling. */
  start(): Promise<void>;
}

/**
 * Updates the bot handles; everything else is not requested from Telegram at all. Payments
 * need `pre_checkout_query`, and `message` (which carries `successful_payment`).
 */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'pre_checkout_query'] as const;
/** Within the platform's 9 s shutdown deadline; Telegram redelivers what is cut off. */
const WEBHOOK_DRAIN_MS = 5000;
/**
 * Updates handled at once from UPDATES. Bounded; within it, updates of one chat still run
 * one at a time in stream order (the bot's `sequentialize`), and the session's
 * compare-and-set keeps a chat consistent even across replicas.
 */
const UPDATE_CONCURRENCY = 8;
const UPDATES_CONSUMER = consumers['bot-gateway'][0];

export interface GatewayOptions {
  botInfo?: UserFromGetMe;
  /** Tests read the offer under their own key of the shared `kie_models` bucket. */
  offerKey?: string;
  /** Tests that share a NATS server use their own durable (starting at new messages). */
  updatesDurable?: string;
  /** Tests: a short ack wait, so updates held by a killed gateway come back quickly. */
  updatesAckWaitSeconds?: number;
  /** Tests: wrap the real adapters to inject failures. */
  wrapDedup?: (real: UpdateDedup) => UpdateDedup;
  wrapPublish?: (real: Publish) => Publish;
  orderAckDeadlineMs?: number;
  /** Tests: a short update-claim lease, so a claim left by a killed gateway expires quickly. */
  updateLeaseMs?: number;
}

/**
 * Builds the gateway on a runtime: buckets, adapters, the bot, and the webhook route
 * (registered before the server listens). Shutdown stops the runner before NATS drains.
 */
export async function createGateway(
  config: Config,
  rt: Runtime,
  opts: GatewayOptions = {},
): Promise<Gateway> {
  const replicas = config.NATS_REPLICAS;
  const [sessionsKv, updatesKv, modelsKv, photosStore, budgetKv] = await Promise.all([
    openKv(rt.nc, 'bot_sessions', replicas),
    openKv(rt.nc, 'bot_updates', replicas),
    // Written by kie-dispatcher; opening it here too is idempotent and lets the bot start first.
    openKv(rt.nc, 'kie_models', replicas),
    openObjectStore(rt.nc, 'photos', replicas),
    openKv(rt.nc, 'telegram_budget', replicas),
  ]);
  const log = rt.log;
  const billing = createBillingClient({ nc: rt.nc, log });
  const sessions = createKvSessionStore(sessionsKv);
  const offers = createOfferSource(modelsKv, { log, ...(opts.offerKey ? { key: opts.offerKey } : {}) });
  const inFlight = createInFlight();
  let botRef: Bot | null = null;
  const bot = createBot({
    token: config.BOT_TOKEN,
    apiRoot: config.TELEGRAM_API_ROOT,
    ...(opts.botInfo ? { botInfo: opts.botInfo } : {}),
    dedup: (opts.wrapDedup ?? ((d) => d))(createUpdateDedup(updatesKv, opts.updateLeaseMs ? { leaseMs: opts.updateLeaseMs } : {})),
    t,
    log,
    mode: config.BOT_MODE,
    // Replies reserve their slots ahead of the notifier's messages (design §6, "Telegram budget").
    budget: createTelegramBudget({
      kv: budgetKv,
      global: config.TELEGRAM_GLOBAL_RATE,
      chat: config.TELEGRAM_CHAT_RATE,
      replyBurst: config.TELEGRAM_REPLY_BURST,
    }),
    telegramMetrics: telegramMetrics(rt.metrics.registry),
    inFlight,
    conversation: {
      sessions,
      photos: createPhotoStore({
        getFile: (fileId) => botRef!.api.getFile(fileId),
        apiRoot: config.TELEGRAM_API_ROOT,
        token: config.BOT_TOKEN,
        store: photosStore,
        log,
      }),
      billing,
      offers,
      publish: (opts.wrapPublish ?? ((p) => p))(rt.publish),
      ...(opts.orderAckDeadlineMs ? { orderAckDeadlineMs: opts.orderAckDeadlineMs } : {}),
      welcomeCredits: config.WELCOME_CREDITS,
      supportContact: config.SUPPORT_CONTACT,
      queue: createQueueClient({ nc: rt.nc, log, timeoutMs: 2000 }),
      queueWarnAfterMs: config.QUEUE_WARN_AFTER,
    },
    admin: {
      admins: new Set(config.ADMIN_TG_IDS),
      billing,
      stats: createStatsClient({ nc: rt.nc, log }),
      kie: createKieAdminClient({ nc: rt.nc, log }),
      // A user's private chat with the bot has the user's id.
      localeOf: async (userId) => (await sessions.load(userId)).session?.locale,
    },
    payments: {
      packs: config.CREDIT_PACKS,
      publish: (opts.wrapPublish ?? ((p) => p))(rt.publish),
      sessions,
      supportContact: config.SUPPORT_CONTACT,
      refundInBilling: (chargeId, by) => billing.refund({ chargeId, adminId: by }),
    },
    orders: {
      orders: createOrdersClient({ nc: rt.nc, log }),
      queue: createQueueClient({ nc: rt.nc, log, timeoutMs: 2000 }),
      offers,
      localeOf: async (userId) => (await sessions.load(userId)).session?.locale,
    },
  });
  botRef = bot;

  if (config.BOT_MODE === 'webhook')
    registerWebhookRoute(rt.http, bot, config.TELEGRAM_WEBHOOK_SECRET!, log.child({ module: 'webhook' }));

  let poller: UpdatePoller | null = null;
  let consumer: RunningConsumer | null = null;
  rt.shutdown.add('telegram updates', async () => {
    // Polling: stop fetching, then finish the updates in hand; the rest wait in UPDATES.
    await poller?.stop();
    await consumer?.stop();
    // Webhook: let updates in flight finish, then cut Telegram's keep-alive connections,
    // which fastify's close would otherwise wait on until the shutdown deadline.
    await inFlight.idle(WEBHOOK_DRAIN_MS);
    if (config.BOT_MODE === 'webhook') rt.http.server.closeAllConnections();
  });

  return {
    bot,
    async start() {
      // getMe: fails fast on a wrong token or API root.
      await bot.init();
      await setBotCommands(bot.api, t, config.ADMIN_TG_IDS, log);
      if (config.BOT_MODE === 'webhook') {
        const url = `${config.PUBLIC_BASE_URL!.replace(/\/+$/, '')}${WEBHOOK_PATH}`;
        await bot.api.setWebhook(url, {
          secret_token: config.TELEGRAM_WEBHOOK_SECRET!,
          allowed_updates: [...ALLOWED_UPDATES],
        });
        log.info({ url, botId: bot.botInfo.id }, 'webhook set');
        return;
      }
      // Long polling and a webhook exclude each other: Telegram refuses getUpdates while one is set.
      await bot.api.deleteWebhook();
      const botId = bot.botInfo.id;
      const def = {
        ...UPDATES_CONSUMER,
        durable: opts.updatesDurable ?? UPDATES_CONSUMER.durable,
        ackWaitSeconds: opts.updatesAckWaitSeconds ?? UPDATES_CONSUMER.ackWaitSeconds,
      };
      const stream = streamOf(def.subject);
      // NATS_PROVISION=check: the provisioning Job created the consumer (the runtime checked it).
      if (provisionMode() === 'apply' || opts.updatesDurable !== undefined)
        await provisionConsumers(rt.jsm, stream, [def], { onlyNew: opts.updatesDurable !== undefined });
      consumer = await startConsumer({
        js: rt.js,
        stream,
        def,
        log,
        metrics: rt.metrics,
        concurrency: UPDATE_CONCURRENCY,
        handler: async (event) => {
          // Stored by another bot (a changed token, or tests sharing NATS): not ours to answer.
          if (event.data.botId !== botId) return;
          // The guard answers every failure it can; what still throws is redelivered (an update
          // another delivery is handling is an UpdateBusy: nak'ed with a delay, not parked).
          await bot.handleUpdate(event.data.update as unknown as Update).catch((err: unknown) => {
            throw err instanceof BotError ? err.error : err;
          });
        },
      });
      poller = startUpdatePoller({
        api: bot.api,
        botId,
        publish: rt.publish,
        log,
        allowedUpdates: ALLOWED_UPDATES,
        answerAtOnce: (u) => {
          if (!u.pre_checkout_query) return false;
          void bot.handleUpdate(u).catch((err: unknown) =>
            log.error({ err: err instanceof BotError ? err.error : err, updateId: u.update_id }, 'pre-checkout not answered'),
          );
          return true;
        },
      });
      log.info({ botId }, 'long polling started');
    },
  };
}
