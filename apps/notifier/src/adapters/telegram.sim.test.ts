import { catalog, orderButtonData } from '@neurocards/contracts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, encodeEvent, type EventData } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import {
  jetstream,
  jetstreamManager,
  provisionConsumers,
  provisionStreams,
  startConsumer,
  telegramMetrics,
  TransientError,
  type Sql,
} from '@neurocards/platform';
import { Registry } from 'prom-client';
import { startTelegramSim, type TelegramSim } from '@neurocards/sandbox';
import {
  connectTestNats,
  createTestSchema,
  eventually,
  handlerContext,
  metricSample,
  silentLogger,
  uniqueName,
  type TestSchema,
} from '@neurocards/platform/testing';
import { parseRate, RateLimiter } from '../domain/token-bucket';
import { createDeliverer } from '../handlers/deliver';
import { createHandlers, type NotifierHandlers } from '../handlers';
import { createStatusMessages } from '../handlers/status';
import type { QueueEstimate } from '../domain/progress';
import { createStatusStore } from './status-store';
import { createChatLocales } from './chat-locales';
import { createDeliveryLog } from './delivery-log';
import { migrations, SCHEMA } from './migrations';
import { createSendScheduler } from './scheduler';
import { createTelegramApi, createTelegramSender, retryAfterOf } from './telegram';

/** The notifier against the sandbox's Telegram Bot API simulator: real HTTP through grammY, real Postgres. */
const log = silentLogger();
const registry = new Registry();
const telegram = telegramMetrics(registry);
const MB = 1024 * 1024;
let db: TestSchema;
let sql: Sql;
let sim: TelegramSim;
let files: Server;
let filesRoot: string;
let handlers: NotifierHandlers;
/** What the dispatcher answers to kie.queue.estimate (null: it does not answer). */
let estimate: QueueEstimate | null = null;

/** Stands in for KIE's result host: a small video, one over the 20 MB URL limit, and an expired one. */
function startFileHost(): Promise<Server> {
  const small = Buffer.alloc(300 * 1024, 7);
  const big = Buffer.alloc(21 * MB, 9);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = path === '/small.mp4' ? small : path === '/big.mp4' ? big : undefined;
    if (!body) return void res.writeHead(404).end('expired');
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': body.length }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  db = await createTestSchema(SCHEMA, migrations);
  sql = db.sql;
  sim = await startTelegramSim();
  files = await startFileHost();
  filesRoot = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  const api = createTelegramApi({ token: sim.token, apiRoot: sim.apiRoot, timeoutSeconds: 30, metrics: telegram });
  const sender = createTelegramSender({ api, log, downloadTimeoutMs: 30_000 });
  const scheduler = createSendScheduler({
    limiter: new RateLimiter(parseRate('25/1s'), parseRate('3/1s'), Date.now()),
    maxWaitMs: 5000,
    retryAfterOf,
  });
  const deliver = createDeliverer({ sql, deliveryLog: createDeliveryLog(sql), sender, scheduler });
  const status = createStatusMessages({
    store: createStatusStore(sql),
    deliver,
    sender,
    scheduler,
    estimate: async () => estimate,
    log,
  });
  handlers = createHandlers({
    deliver,
    status,
    settlement: async () => ({ found: true, settled: true, balance: 5 }),
    orderMessages: async () => ({ videosSent: 99, failuresDone: 99 }),
    supportContact: '@help',
    adminIds: [],
    chatLocales: createChatLocales(sql),
  });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  await new Promise((r) => files?.close(r));
  await db?.close();
});

let nextUser = 700_000;
/** A user who has written to the bot (Telegram: a bot cannot open a chat). */
async function newUser(): Promise<number> {
  const userId = ++nextUser;
  await sim.userSends({ userId }, { text: '/start' });
  return userId;
}
const ctx = handlerContext('notifier-test');
const videoReady = (chatId: number, path: string, patch: Partial<EventData<'jobs.video.ready.v1'>> = {}) =>
  createEvent({
    subject: 'jobs.video.ready.v1',
    correlationId: `o-${chatId}`,
    data: {
      ...validFixtures['jobs.video.ready.v1'],
      userId: chatId,
      chatId,
      orderId: `o-${chatId}-${Date.now()}`,
      jobId: `j-${chatId}-${Date.now()}`,
      videoUrl: `${filesRoot}${path}`,
      ...patch,
    },
  });
const reserved = (chatId: number) =>
  createEvent({
    subject: 'billing.credits.reserved.v1',
    correlationId: `o-${chatId}`,
    data: { ...validFixtures['billing.credits.reserved.v1'], userId: chatId, chatId, orderId: `o-${chatId}-${Date.now()}` },
  });
const sentEvents = (jobId: string) =>
  sql<{ payload: { data: { messageId: number; fileId?: string } } }[]>`
    select payload from outbox where subject = 'notify.video.sent.v1' and payload->'data'->>'jobId' = ${jobId}`;
const calls = (method: string, chatId: number) =>
  sim.apiCalls().filter((c) => c.method === method && Number(c.params.chat_id) === chatId).length;

describe('notifier against the Telegram simulator', () => {
  it('sendVideo by URL lands in the chat with "Video i of n", and notify.video.sent carries its message id', async () => {
    const chatId = await newUser();
    const e = videoReady(chatId, '/small.mp4?sig=abc', { index: 2, count: 3, locale: 'en' });
    await handlers['jobs.video.ready.v1'](e, ctx);
    const videos = sim.botMessages(chatId).filter((m) => m.kind === 'video');
    expect(videos).toHaveLength(1);
    expect(videos[0]!.caption).toMatch(/^Video 2 of 3 · order #[0-9A-Z-]{1,8}$/);
    // Under it: "More videos of this photo" and "Another template", answered by bot-gateway.
    expect(videos[0]!.replyMarkup?.inline_keyboard[0]!.map((b) => [b.text, b.callback_data])).toEqual([
      ['🔁 More videos of this photo', orderButtonData('more', e.data.orderId)],
      ['🎨 Another template', orderButtonData('template', e.data.orderId)],
    ]);
    expect(videos[0]!.video?.sourceUrl).toBe(e.data.videoUrl);
    const out = await sentEvents(e.data.jobId);
    expect(out.map((r) => r.payload.data.messageId)).toEqual([videos[0]!.messageId]);
    // And Telegram's file_id, so /orders can send it again once the URL has expired.
    expect(out.map((r) => r.payload.data.fileId)).toEqual([videos[0]!.video!.fileId]);
    expect(catalog['notify.video.sent.v1'].safeParse(out[0]!.payload.data).success).toBe(true);
  });

  it('a video over the 20 MB URL limit is downloaded and uploaded instead', async () => {
    const chatId = await newUser();
    const e = videoReady(chatId, '/big.mp4');
    await handlers['jobs.video.ready.v1'](e, ctx);
    const videos = sim.botMessages(chatId).filter((m) => m.kind === 'video');
    expect(videos).toHaveLength(1);
    expect(videos[0]!.video?.sizeBytes).toBe(21 * MB);
    expect(videos[0]!.caption).toMatch(/^Видео 2 из 3 · заказ № /);
    expect(calls('sendVideo', chatId)).toBe(2);
    const [row] = await sql`select sent_via from deliveries where message_key = ${`job:${e.data.jobId}:video`}`;
    expect(row!.sent_via).toBe('upload');
    expect(await sentEvents(e.data.jobId)).toHaveLength(1);
  }, 30_000);

  it('an expired video URL is undeliverable: acked, recorded, no notify.video.sent', async () => {
    const chatId = await newUser();
    const e = videoReady(chatId, '/gone.mp4');
    await handlers['jobs.video.ready.v1'](e, ctx);
    expect(sim.botMessages(chatId).filter((m) => m.kind === 'video')).toHaveLength(0);
    const [row] = await sql`select status from deliveries where message_key = ${`job:${e.data.jobId}:video`}`;
    expect(row!.status).toBe('undeliverable');
    expect(await sentEvents(e.data.jobId)).toHaveLength(0);
  });

  it('"taken into work" carries the "Cancel queued videos" button for bot-gateway', async () => {
    const chatId = await newUser();
    const e = reserved(chatId);
    await handlers['billing.credits.reserved.v1'](e, ctx);
    const [msg] = sim.botMessages(chatId).filter((m) => m.kind === 'text');
    expect(msg!.replyMarkup?.inline_keyboard).toEqual([
      [{ text: '🚫 Отменить видео в очереди', callback_data: `qc:${e.data.orderId}` }],
    ]);
  });

  it('the status message is edited in place when generation starts: no second message, the button goes with the queue', async () => {
    const chatId = await newUser();
    const e = reserved(chatId);
    estimate = { position: 40, waitSeconds: 1500, lastWaitSeconds: 1700, waiting: 1 };
    await handlers['billing.credits.reserved.v1'](e, ctx);
    const started = createEvent({
      subject: 'jobs.generation.started.v1',
      data: { ...validFixtures['jobs.generation.started.v1'], userId: chatId, chatId, orderId: e.data.orderId, count: 1 },
      correlationId: e.data.orderId,
    });
    estimate = { position: 0, waitSeconds: null, lastWaitSeconds: null, waiting: 0 };
    await handlers['jobs.generation.started.v1'](started, ctx);
    await handlers['jobs.generation.started.v1'](started, ctx);
    const texts = sim.botMessages(chatId).filter((m) => m.kind === 'text');
    expect(texts).toHaveLength(1);
    expect(texts[0]!.text).toContain('Генерация началась');
    expect(texts[0]!.text).toContain('взят в работу');
    // Nothing is queued any more: nothing to cancel.
    expect(texts[0]!.replyMarkup).toBeUndefined();
    expect(calls('editMessageText', chatId)).toBe(1);
    estimate = null;
  });

  it('a 429 with a short retry_after is honoured: the message is sent again after it', async () => {
    const chatId = await newUser();
    const read = async (name: string) => metricSample(await registry.metrics(), name, { method: 'sendMessage' }) ?? 0;
    const [throttled, timed] = [await read('neurocards_telegram_429_total'), await read('neurocards_telegram_send_seconds_count')];
    sim.setBehavior({ throttleNext: 1, retryAfterSeconds: 1 });
    await handlers['billing.credits.reserved.v1'](reserved(chatId), ctx);
    expect(calls('sendMessage', chatId)).toBe(2);
    expect(sim.botMessages(chatId).filter((m) => m.kind === 'text')).toHaveLength(1);
    // The metrics saw both attempts and the 429.
    expect(await read('neurocards_telegram_429_total')).toBe(throttled + 1);
    expect(await read('neurocards_telegram_send_seconds_count')).toBe(timed + 2);
  });

  it('a 429 with a long retry_after gives the message back (TransientError with the delay) instead of sleeping', async () => {
    const chatId = await newUser();
    sim.setBehavior({ throttleNext: 1, retryAfterSeconds: 30 });
    const err = await handlers['billing.credits.reserved.v1'](reserved(chatId), ctx).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).retryAfterMs).toBe(30_000);
    expect(calls('sendMessage', chatId)).toBe(1);
    expect(sim.botMessages(chatId)).toHaveLength(0);
  });

  it('403 (bot blocked) is not retried, and no notify.video.sent is published', async () => {
    const chatId = await newUser();
    sim.setBlocked({ userId: chatId }, true);
    const e = videoReady(chatId, '/small.mp4');
    await handlers['jobs.video.ready.v1'](e, ctx);
    await handlers['jobs.video.ready.v1'](e, ctx);
    expect(calls('sendVideo', chatId)).toBe(1);
    expect(await sentEvents(e.data.jobId)).toHaveLength(0);
    const [row] = await sql`select status, last_error from deliveries where message_key = ${`job:${e.data.jobId}:video`}`;
    expect(row).toMatchObject({ status: 'undeliverable', last_error: 'Forbidden: bot was blocked by the user' });
  });

  it('a duplicate event, even delivered twice at once, makes one message', async () => {
    const chatId = await newUser();
    const e = videoReady(chatId, '/small.mp4');
    const results = await Promise.allSettled([
      handlers['jobs.video.ready.v1'](e, ctx),
      handlers['jobs.video.ready.v1'](e, ctx),
    ]);
    await handlers['jobs.video.ready.v1'](e, ctx).catch(() => undefined);
    // The one that lost the claim is told to come back later, never to send.
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(TransientError);
    expect(sim.botMessages(chatId).filter((m) => m.kind === 'video')).toHaveLength(1);
    expect(await sentEvents(e.data.jobId)).toHaveLength(1);
  });
});

describe('through JetStream', () => {
  it('a video.ready published again after it was sent (a producer retry under another msg id) does nothing', async () => {
    const nc = await connectTestNats();
    const jsm = await jetstreamManager(nc);
    const def = { durable: uniqueName('notifier_test_video'), subject: 'jobs.video.ready.v1' as const, maxDeliver: 5, ackWaitSeconds: 30 };
    // A fresh NATS server has no streams yet: this test must not depend on another having run.
    await provisionStreams(jsm, 1, ['JOBS']);
    await provisionConsumers(jsm, 'JOBS', [def], { onlyNew: true });
    const chatId = await newUser();
    let handled = 0;
    // The JOBS stream is shared with other test runs: handle only this test's chat.
    const consumer = await startConsumer({
      js: jetstream(nc),
      stream: 'JOBS',
      def,
      log,
      handler: async (e, c) => {
        if (e.data.chatId !== chatId) return;
        await handlers['jobs.video.ready.v1'](e, c);
        handled++;
      },
    });
    try {
      const e = videoReady(chatId, '/small.mp4');
      const js = jetstream(nc);
      await js.publish(e.type, encodeEvent(e), { msgID: e.id });
      await eventually(() => handled === 1, 15_000);
      await js.publish(e.type, encodeEvent(e), { msgID: `${e.id}:again` });
      await eventually(() => handled === 2, 15_000);
      expect(sim.botMessages(chatId).filter((m) => m.kind === 'video')).toHaveLength(1);
      expect(await sentEvents(e.data.jobId)).toHaveLength(1);
    } finally {
      await consumer.stop();
      await jsm.consumers.delete('JOBS', def.durable);
      await nc.drain();
    }
  }, 30_000);
});
