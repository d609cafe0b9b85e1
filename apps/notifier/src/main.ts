import { createRuntime, createTelegramBudget, openKv, runMain, startLoop, telegramMetrics } from '@neurocards/platform';
import { createSettlementLookup } from './adapters/balance';
import { createEstimateLookup } from './adapters/queue-estimate';
import { createDeliveryLog } from './adapters/delivery-log';
import { migrations, SCHEMA } from './adapters/migrations';
import { createSendScheduler, sharedLimiter } from './adapters/scheduler';
import { createStatusStore } from './adapters/status-store';
import { createTelegramApi, createTelegramSender, retryAfterOf } from './adapters/telegram';
import { loadConfig } from './config';
import { createDeliverer } from './handlers/deliver';
import { createChatLocales } from './adapters/chat-locales';
import { createHandlers } from './handlers';
import { createStatusMessages } from './handlers/status';

runMain('notifier', async () => {
  const config = loadConfig();
  const rt = await createRuntime({
    service: 'notifier',
    config,
    httpPort: config.HTTP_PORT,
    database: { url: config.DATABASE_URL, schema: SCHEMA, migrations },
  });
  const sql = rt.sql;

  const api = createTelegramApi({
    token: config.BOT_TOKEN,
    apiRoot: config.TELEGRAM_API_ROOT,
    timeoutSeconds: Math.ceil(config.TELEGRAM_TIMEOUT / 1000),
    metrics: telegramMetrics(rt.metrics.registry),
  });
  const sender = createTelegramSender({ api, log: rt.log, downloadTimeoutMs: config.TELEGRAM_TIMEOUT });
  // Telegram's limits hold for the whole bot: every replica and bot-gateway's replies take
  // their slots from the same KV entries (design §6, "Telegram budget").
  const budget = createTelegramBudget({
    kv: await openKv(rt.nc, 'telegram_budget', config.NATS_REPLICAS),
    global: config.TELEGRAM_GLOBAL_RATE,
    chat: config.TELEGRAM_CHAT_RATE,
    replyBurst: config.TELEGRAM_REPLY_BURST,
  });
  const scheduler = createSendScheduler({
    limiter: sharedLimiter(budget),
    maxWaitMs: config.TELEGRAM_MAX_WAIT,
    retryAfterOf,
  });
  const deliveryLog = createDeliveryLog(sql);
  const deliver = createDeliverer({ sql, deliveryLog, sender, scheduler });
  const status = createStatusMessages({
    store: createStatusStore(sql),
    deliver,
    sender,
    scheduler,
    // As short as the summary's balance: the message never waits long for the queue line.
    estimate: createEstimateLookup(rt.nc, config.BALANCE_TIMEOUT, rt.log),
    log: rt.log.child({ module: 'status' }),
  });

  await rt.consume(
    createHandlers({
      deliver,
      status,
      settlement: createSettlementLookup(rt.nc, config.BALANCE_TIMEOUT, rt.log),
      orderMessages: (orderId) => deliveryLog.orderMessages(orderId),
      supportContact: config.SUPPORT_CONTACT,
      adminIds: config.ADMIN_TG_IDS,
      chatLocales: createChatLocales(sql),
    }),
    // KIE result URLs expire: videos get more parallel sends than the chatter.
    { 'notifier-video-ready': 16 },
  );
  // Keeps waiting orders' status messages current (design §6.1); any replica, one order each.
  const statusLoop = startLoop({ name: 'status', intervalMs: 5000, tick: status.tick, log: rt.log });
  rt.shutdown.add('status loop', () => statusLoop.stop());
  await rt.start();
  rt.log.info(
    { admins: config.ADMIN_TG_IDS.length, apiRoot: config.TELEGRAM_API_ROOT, supportContact: Boolean(config.SUPPORT_CONTACT) },
    'notifier ready',
  );
});
