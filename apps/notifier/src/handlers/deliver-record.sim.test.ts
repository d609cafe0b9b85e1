import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEvent } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import { connectPostgres, migrate, type Sql } from '@neurocards/platform';
import { handlerContext, privatePostgres, silentLogger, type PrivatePostgres } from '@neurocards/platform/testing';
import { startTelegramSim, type TelegramSim } from '@neurocards/sandbox';
import { createChatLocales } from '../adapters/chat-locales';
import { createDeliveryLog } from '../adapters/delivery-log';
import { migrations, SCHEMA } from '../adapters/migrations';
import { createStatusStore } from '../adapters/status-store';
import { createSendScheduler } from '../adapters/scheduler';
import { createTelegramApi, createTelegramSender, retryAfterOf, type TelegramSender } from '../adapters/telegram';
import { parseRate, RateLimiter } from '../domain/token-bucket';
import { createStatusMessages } from './status';
import { createDeliverer } from './deliver';
import { createHandlers } from './index';

/**
 * PostgreSQL goes down right after Telegram accepted a video: the notifier keeps trying to
 * record the send until PostgreSQL is back, so the video is in the chat once, recorded,
 * and its notify.video.sent is written once (the order completes).
 */
const log = silentLogger();
let pg: PrivatePostgres;
let sql: Sql;
let sim: TelegramSim;
let files: Server;

beforeAll(async () => {
  pg = await privatePostgres();
  sql = connectPostgres({ url: pg.url, schema: SCHEMA, log });
  await migrate(sql, SCHEMA, migrations, log);
  sim = await startTelegramSim();
  const video = Buffer.alloc(64 * 1024, 7);
  files = createServer((_req, res) => res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': video.length }).end(video));
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
}, 60_000);

afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await sim?.close();
  await new Promise((r) => files?.close(r));
  await pg?.destroy();
});

it('a send Telegram accepted is recorded once PostgreSQL is back: one video, one sent event', async () => {
  const api = createTelegramApi({ token: sim.token, apiRoot: sim.apiRoot, timeoutSeconds: 30 });
  const real = createTelegramSender({ api, log, downloadTimeoutMs: 30_000 });
  let outage: Promise<void> | null = null;
  // Crashes PostgreSQL the moment Telegram has the video, and brings it back a moment later.
  const sender: TelegramSender = {
    sendText: (chatId, text) => real.sendText(chatId, text),
    editText: (chatId, messageId, text, buttons) => real.editText(chatId, messageId, text, buttons),
    async sendVideo(chatId, url, caption) {
      const sent = await real.sendVideo(chatId, url, caption);
      await pg.stop('immediate');
      outage = new Promise((r) => setTimeout(r, 1500)).then(() => pg.start());
      return sent;
    },
  };
  const deliver = createDeliverer({
    sql,
    deliveryLog: createDeliveryLog(sql),
    sender,
    scheduler: createSendScheduler({
      limiter: new RateLimiter(parseRate('25/1s'), parseRate('3/1s'), Date.now()),
      maxWaitMs: 5000,
      retryAfterOf,
    }),
    recordRetryMaxMs: 500,
  });
  const handlers = createHandlers({
    deliver,
    status: createStatusMessages({
      store: createStatusStore(sql),
      deliver,
      sender,
      scheduler: createSendScheduler({ limiter: new RateLimiter(parseRate('25/1s'), parseRate('3/1s'), Date.now()), maxWaitMs: 5000, retryAfterOf }),
      estimate: async () => null,
      log,
    }),
    settlement: async () => ({ found: true, settled: true, balance: 5 }),
    orderMessages: async () => ({ videosSent: 99, failuresDone: 99 }),
    supportContact: '@help',
    adminIds: [],
    chatLocales: createChatLocales(sql),
  });

  const chatId = 810_001;
  await sim.userSends({ userId: chatId }, { text: '/start' });
  const e = createEvent({
    subject: 'jobs.video.ready.v1',
    correlationId: 'order-record',
    data: {
      ...validFixtures['jobs.video.ready.v1'],
      userId: chatId,
      chatId,
      orderId: 'order-record',
      jobId: 'job-record',
      videoUrl: `http://127.0.0.1:${(files.address() as AddressInfo).port}/v.mp4`,
    },
  });
  await handlers['jobs.video.ready.v1'](e, handlerContext('notifier-test'));
  await outage;
  // A redelivery of the event after the fact sends nothing more.
  await handlers['jobs.video.ready.v1'](e, handlerContext('notifier-test'));

  const videos = sim.botMessages(chatId).filter((m) => m.kind === 'video');
  expect(videos).toHaveLength(1);
  const [row] = await sql<{ status: string; telegram_message_id: string }[]>`
    select status, telegram_message_id from deliveries where message_key = 'job:job-record:video'`;
  expect(row).toMatchObject({ status: 'sent', telegram_message_id: String(videos[0]!.messageId) });
  const sentEvents = await sql<{ payload: { data: { messageId: number } } }[]>`
    select payload from outbox where subject = 'notify.video.sent.v1'`;
  expect(sentEvents.map((r) => r.payload.data.messageId)).toEqual([videos[0]!.messageId]);
}, 60_000);
