import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '@neurocards/platform';
import { eventually, freePort, TEST_NATS_URL } from '@neurocards/platform/testing';
import { startTelegramSim, type TelegramSim } from '@neurocards/sandbox';
import { loadConfig } from './config';
import { createGateway } from './gateway';
import { t } from './i18n';
import { paymentsOf, serveTestBilling } from '../test/support';

/** The real bot in webhook mode: the simulator pushes updates to POST /telegram/webhook. */

const SECRET = 'sim_webhook-secret';
let sim: TelegramSim;
let rt: Runtime;
const user = {
  userId: 700_000_000 + Math.floor(Math.random() * 100_000_000),
  firstName: 'Ann',
  languageCode: 'ru',
};

beforeAll(async () => {
  sim = await startTelegramSim();
  const port = await freePort();
  const config = loadConfig({
    BOT_TOKEN: sim.token,
    TELEGRAM_API_ROOT: sim.apiRoot,
    BOT_MODE: 'webhook',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    NATS_URL: TEST_NATS_URL,
    HTTP_PORT: String(port),
  });
  rt = await createRuntime({
    service: 'bot-gateway',
    config: { NATS_URL: TEST_NATS_URL, NATS_REPLICAS: 1, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
    httpPort: config.HTTP_PORT,
    handleSignals: false,
  });
  const gateway = await createGateway(config, rt);
  await rt.start();
  await gateway.start();
  serveTestBilling(rt.nc, new Set([user.userId]), 7);
}, 30_000);

afterAll(async () => {
  await rt?.shutdown.run('test done');
  await sim?.close();
});

describe('bot-gateway in webhook mode', () => {
  it('answers /start with the balance once, however often the update is delivered', async () => {
    const sent = await sim.userSends(user, { text: '/start' });
    const welcome = await sim.waitForBotMessage(
      user.userId,
      (m) => m.text?.includes(t('ru', 'balanceLine', { balance: 7 })) ?? false,
    );
    expect(welcome.text).toContain(t('ru', 'howTo'));
    const first = await eventually(() => sim.webhookDeliveries().find((d) => d.updateId === sent.updateId));
    expect(first).toMatchObject({ status: 200, secretHeader: SECRET });

    await sim.redeliver(sent.updateId);
    await sim.userSends(user, { text: '/cancel' });
    await sim.waitForBotMessage(user.userId, (m) => m.text === t('ru', 'nothingToCancel'));
    const texts = sim.botMessages(user.userId).map((m) => m.text);
    expect(texts.filter((x) => x === welcome.text)).toHaveLength(1);
    // The redelivery reached the webhook and was answered 200 (and then skipped).
    await eventually(
      () =>
        sim.webhookDeliveries().filter((d) => d.updateId === sent.updateId && d.status === 200).length === 2,
    );
  }, 30_000);

  it('sells a pack: setWebhook asks for pre_checkout_query, the payment is handed to billing once', async () => {
    const startedAt = new Date().toISOString();
    const hook = sim.apiCalls().find((c) => c.method === 'setWebhook');
    expect(hook?.params.allowed_updates).toEqual(expect.arrayContaining(['message', 'callback_query', 'pre_checkout_query']));
    const buyer = { ...user, userId: user.userId + 1, languageCode: 'en' };
    await sim.userSends(buyer, { text: '/buy' });
    const packs = await sim.waitForBotMessage(buyer.userId, (m) => (m.replyMarkup?.inline_keyboard ?? []).length === 3);
    await sim.userPresses(buyer, packs.messageId, 'buy|30');
    const invoice = await sim.waitForBotMessage(buyer.userId, (m) => m.kind === 'invoice');
    const paid = await sim.userPays(buyer, { messageId: invoice.messageId }, { redeliver: 'both' });
    expect(paid.status).toBe('paid');
    if (paid.status !== 'paid') return;
    // Every delivery of the payment (the same update twice, and a copy) was answered 200.
    await eventually(() =>
      paid.updateIds.every((id) => sim.webhookDeliveries().filter((d) => d.updateId === id && d.status === 200).length >= 1),
    );
    const events = await eventually(async () => {
      const e = await paymentsOf(rt, startedAt, buyer.userId);
      return e.length > 0 ? e : null;
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ credits: 30, stars: 400, locale: 'en' });
  }, 30_000);
});
