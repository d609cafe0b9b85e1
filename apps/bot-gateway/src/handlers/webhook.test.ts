import Fastify from 'fastify';
import { Bot } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { openKv } from '@neurocards/platform';
import { connectTestNats, eventually, silentLogger, uniqueName } from '@neurocards/platform/testing';
import { createUpdateDedup } from '../adapters/update-dedup';
import { t } from '../i18n';
import { guard } from './guard';
import { registerWebhookRoute, WEBHOOK_PATH } from './webhook';
import { textUpdate } from '../../test/support';

const botInfo: UserFromGetMe = {
  id: 1,
  is_bot: true,
  first_name: 'Test',
  username: 'test_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

let nc: NatsConnection;
beforeAll(async () => {
  nc = await connectTestNats();
});
afterAll(async () => {
  await nc.drain();
});

const update = textUpdate;

/** A bot with the real guard (de-dup in NATS) whose only handler records what it saw. */
async function setup(opts: { failFirst?: boolean; hold?: Promise<void>; timeoutMs?: number } = {}) {
  const kv = await openKv(nc, 'bot_updates', 1);
  const bot = new Bot('1:test', { botInfo });
  const seen: number[] = [];
  let fail = opts.failFirst ?? false;
  bot.use(
    guard({ dedup: createUpdateDedup(kv, { prefix: `${uniqueName('wh')}.` }), t, log: silentLogger(), rethrow: true }),
  );
  bot.use(async (ctx) => {
    if (fail) {
      fail = false;
      throw new Error('boom');
    }
    seen.push(ctx.update.update_id);
    await opts.hold;
  });
  const app = Fastify();
  registerWebhookRoute(app, bot, 'right-secret', silentLogger(), opts.timeoutMs);
  await app.ready();
  const post = (u: Update, secret?: string) =>
    app.inject({
      method: 'POST',
      url: WEBHOOK_PATH,
      payload: u,
      headers: secret === undefined ? {} : { 'x-telegram-bot-api-secret-token': secret },
    });
  return { app, seen, post };
}

describe('POST /telegram/webhook', () => {
  it('refuses a missing or wrong secret token', async () => {
    const { app, seen, post } = await setup();
    expect((await post(update(1))).statusCode).toBe(401);
    expect((await post(update(1), 'wrong')).statusCode).toBe(401);
    expect(seen).toEqual([]);
    await app.close();
  });

  it('handles an update once, however often Telegram delivers it', async () => {
    const { app, seen, post } = await setup();
    expect((await post(update(10), 'right-secret')).statusCode).toBe(200);
    expect((await post(update(10), 'right-secret')).statusCode).toBe(200);
    expect(seen).toEqual([10]);
    await app.close();
  });

  it('handles two concurrent deliveries once; the one that found it busy is redelivered and skipped', async () => {
    let finish!: () => void;
    const hold = new Promise<void>((r) => (finish = r));
    const { app, seen, post } = await setup({ hold });
    const first = post(update(11), 'right-secret');
    await eventually(() => seen.length === 1);
    // While the first is alive: refused (500), so Telegram keeps it until the first is done.
    expect((await post(update(11), 'right-secret')).statusCode).toBe(500);
    finish();
    expect((await first).statusCode).toBe(200);
    expect((await post(update(11), 'right-secret')).statusCode).toBe(200);
    expect(seen).toEqual([11]);
    await app.close();
  });

  it('answers a payment only once it is handled: a failure after the usual timeout is still a 500', async () => {
    let fail!: (err: Error) => void;
    const hold = new Promise<void>((_, reject) => (fail = reject));
    const { app, post } = await setup({ hold, timeoutMs: 50 });
    const payment = {
      update_id: 30,
      message: {
        message_id: 1,
        date: 0,
        chat: { id: 5, type: 'private', first_name: 'S' },
        from: { id: 5, is_bot: false, first_name: 'S' },
        successful_payment: { currency: 'XTR', total_amount: 150, invoice_payload: 'x', telegram_payment_charge_id: 'c', provider_payment_charge_id: 'p' },
      },
    } as unknown as Update;
    const answer = post(payment, 'right-secret');
    await new Promise((r) => setTimeout(r, 150));
    fail(new Error('JetStream down'));
    expect((await answer).statusCode).toBe(500);
    await app.close();
  });

  it('fails the request when handling fails, and handles the redelivery', async () => {
    const { app, seen, post } = await setup({ failFirst: true });
    expect((await post(update(20), 'right-secret')).statusCode).toBe(500);
    expect(seen).toEqual([]);
    expect((await post(update(20), 'right-secret')).statusCode).toBe(200);
    expect(seen).toEqual([20]);
    await app.close();
  });
});
