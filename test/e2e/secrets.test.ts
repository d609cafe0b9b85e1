import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '@neurocards/contracts';
import { eventually } from '@neurocards/platform/testing';
import { storedEvents, eventsOf } from '../src/events';
import { adminSays, grantCredits, orderVideos } from '../src/seller';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';

/**
 * Security (issue 7): the bot token, the KIE keys, the OpenAI key, the Telegram webhook
 * secret and the KIE webhook HMAC key never appear in the services' logs, in what the
 * simulators received (URLs handed to third parties, request bodies, messages to users),
 * nor in events — except where the protocol needs them (the token in the Bot API path the
 * bot calls, each key in its own Authorization header), which the simulators do not record
 * as text.
 */

const KIE_KEYS = ['kieSecretKey-1-7f3a9c2e5b', 'kieSecretKey-2-c4d8e1f6a0'];
const HMAC_KEY = 'kieHmacSecret-9b7e5d3c1a';
const WEBHOOK_SECRET = 'tgWebhookSecret-2d4f6a8c0e';
const OPENAI_KEY = 'sk-e2e';

describe('secrets stay secret', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      kieLatencyMs: 1000,
      kie: { hmacKey: HMAC_KEY },
      env: {
        KIE_API_KEYS: `main=${KIE_KEYS[0]},backup=${KIE_KEYS[1]}`,
        KIE_WEBHOOK_HMAC_KEY: HMAC_KEY,
        TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('appear in no log line, no third-party request, no user message and no event', async () => {
    const secrets: Record<string, string> = {
      'bot token': stack.tg.token,
      // The part after the bot id is the secret; the id alone is public.
      'bot token secret': stack.tg.token.split(':')[1]!,
      'KIE key 1': KIE_KEYS[0]!,
      'KIE key 2': KIE_KEYS[1]!,
      'KIE HMAC key': HMAC_KEY,
      'Telegram webhook secret': WEBHOOK_SECRET,
      'OpenAI key': OPENAI_KEY,
    };
    const leaks = (where: string, text: string) =>
      Object.entries(secrets)
        .filter(([, s]) => text.includes(s))
        .map(([name]) => `${name} in ${where}`);

    const seller = { userId: 7_300_001, firstName: 'Оля', languageCode: 'ru' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 3);
    await orderVideos(stack, seller, 3, 'Покажи крупным планом');
    const placed = await eventually(() => eventsOf(stack.nc, 'orders.order.placed.v1').then((e) => e[0]), 30_000);
    await eventually(
      () =>
        eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.orderId === placed.data.orderId)),
      120_000,
      500,
    );
    // The admin views that describe keys and accounts.
    await adminSays(stack, ADMIN_ID, '/keys', /main|backup/);
    await adminSays(stack, ADMIN_ID, '/stats', /\d/);

    // The KIE simulator signed its callbacks, and the dispatcher accepted them.
    const callbacks = stack.kie.callbacks();
    expect(callbacks.length).toBeGreaterThan(0);
    expect(callbacks.every((c) => c.status === 200)).toBe(true);
    expect(callbacks.every((c) => c.headers['x-webhook-signature'])).toBe(true);

    const found: string[] = [];
    // 1. Every line the five services logged.
    const log = readFileSync(stack.logFile, 'utf8');
    expect(log.length).toBeGreaterThan(0);
    found.push(...leaks('the services’ logs', log));
    // 2. Telegram: every Bot API call's parameters (message texts, captions, file URLs).
    const tgCalls = stack.tg.apiCalls();
    expect(tgCalls.length).toBeGreaterThan(0);
    found.push(...leaks('Bot API call parameters', JSON.stringify(tgCalls)));
    for (const chat of [seller.userId, ADMIN_ID]) {
      found.push(...leaks(`messages to ${chat}`, JSON.stringify(stack.tg.botMessages(chat))));
    }
    // 3. KIE: what each task was given (prompt, image URLs, callBackUrl), the uploads, the
    //    callbacks it sent back. `key` is the Authorization header KIE needs, and `account` is
    //    the simulator's name for a key listed in no account (the key itself): both left out.
    const tasks = stack.kie.tasks().map(({ key: _key, account: _account, ...rest }) => rest);
    expect(tasks.length).toBe(3);
    found.push(...leaks('KIE task requests', JSON.stringify(tasks)));
    found.push(...leaks('KIE uploads', JSON.stringify(stack.kie.uploads().map(({ key: _k, ...rest }) => rest))));
    found.push(...leaks('KIE callbacks (URLs, headers, bodies)', JSON.stringify(callbacks)));
    // 4. OpenAI: every request body (prompt text, image input).
    found.push(...leaks('OpenAI request bodies', JSON.stringify(stack.openai.requests())));
    // 5. Every event on every stream.
    for (const stream of Object.keys(streams).filter((s) => s !== 'DEAD')) {
      found.push(...leaks(`${stream} events`, JSON.stringify(await storedEvents(stack.nc, stream))));
    }
    expect(found).toEqual([]);
  });
});
