import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { createEvent, encodeEvent } from '@neurocards/contracts';
import { createTestDatabase, eventually, freePort } from '@neurocards/platform/testing';
import { REPO_ROOT, launchService, waitUntilReady, type ServiceProcess } from '@neurocards/launcher';
import {
  makeTinyMp4,
  startSecureNats,
  startTelegramSim,
  type SecureNats,
  type TelegramSim,
} from '@neurocards/sandbox';
import { eventsOf } from '../src/events';
import { acceptedMessages, busiestChat, floodRefusals, maxInWindow } from '../src/telegram-load';

/**
 * Telegram's limits hold for the whole bot, not per process (issue 10): two notifier
 * processes share one budget (KV `telegram_budget`). 200 finished videos for 20 chats go
 * out through both at once; the Telegram simulator, which enforces the real ~30/s overall
 * and ~1/s per chat with 429 + retry_after, must see neither exceeded, and every video
 * must reach its chat exactly once.
 */
const CHATS = 20;
const VIDEOS_PER_CHAT = 10;

describe('two notifier processes share Telegram’s limits', () => {
  let nats: SecureNats;
  let nc: NatsConnection;
  let tg: TelegramSim;
  let videos: Server;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const notifiers: ServiceProcess[] = [];
  const natsDir = path.join(REPO_ROOT, 'test', '.nats', `replicas-${Date.now()}-${process.pid}`);

  beforeAll(async () => {
    db = await createTestDatabase('e2e_replicas');
    nats = await startSecureNats({ port: await freePort(), dir: natsDir });
    nc = await connect({ servers: nats.url, user: nats.admin.user, pass: nats.admin.password });
    const users = Array.from({ length: CHATS }, (_, i) => ({ userId: 7_300_001 + i, languageCode: 'en' }));
    tg = await startTelegramSim({ port: 0, knownUsers: users });
    const mp4 = Buffer.from(makeTinyMp4().bytes);
    videos = createServer((_req, res) => res.writeHead(200, { 'content-type': 'video/mp4' }).end(mp4));
    await new Promise<void>((r) => videos.listen(0, '127.0.0.1', r));

    const logDir = path.join(REPO_ROOT, 'test', '.logs');
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(path.join(logDir, `replicas-${Date.now()}.log`));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NATS_URL: nats.url,
      DATABASE_URL: db.url,
      BOT_TOKEN: tg.token,
      TELEGRAM_API_ROOT: tg.apiRoot,
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      notifiers.push(
        launchService('notifier', {
          env,
          envOf: nats.envOf,
          ports: { notifier: port },
          onLine: (svc, line) => log.write(`[${svc}#${i + 1}] ${line}\n`),
        }),
      );
      // One after the other: the first provisions the streams and the schema.
      await waitUntilReady({ notifier: port }, 90_000);
    }
  });

  afterAll(async () => {
    for (const p of notifiers) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all(notifiers.map((p) => p.exited));
    await tg?.close();
    await new Promise((r) => videos?.close(r));
    await nc?.drain();
    await nats?.stop();
    rmSync(natsDir, { recursive: true, force: true });
    await db?.drop().catch(() => undefined);
  });

  it('200 videos for 20 chats: no chat above ~1/s, the bot under ~30/s, each video once', async () => {
    const js = jetstream(nc);
    const videoUrl = `http://127.0.0.1:${(videos.address() as AddressInfo).port}/video.mp4`;
    const jobs: string[] = [];
    // Each chat: two orders of 5, finishing interleaved across chats as KIE finishes them
    // (the orchestrator's jobs.video.ready).
    const orders = Array.from({ length: CHATS * (VIDEOS_PER_CHAT / 5) }, (_, o) => ({
      orderId: randomUUID(),
      userId: 7_300_001 + (o % CHATS),
    }));
    for (let i = 1; i <= 5; i++) {
      for (const { orderId, userId } of orders) {
        const jobId = randomUUID();
        jobs.push(jobId);
        const event = createEvent({
          subject: 'jobs.video.ready.v1',
          correlationId: orderId,
          data: { orderId, jobId, userId, chatId: userId, locale: 'en', index: i, count: 5, videoUrl },
        });
        await js.publish(event.type, encodeEvent(event), { msgID: event.id });
      }
    }

    const sent = await eventually(
      async () => {
        const s = await eventsOf(nc, 'notify.video.sent.v1');
        return s.length >= jobs.length ? s : null;
      },
      120_000,
      500,
    );

    // Each video once: one sent event per job, one accepted sendVideo per job.
    expect(new Set(sent.map((e) => e.data.jobId))).toEqual(new Set(jobs));
    expect(sent).toHaveLength(jobs.length);
    const calls = tg.apiCalls();
    const accepted = acceptedMessages(calls);
    expect(accepted.filter((c) => c.method === 'sendVideo')).toHaveLength(jobs.length);
    for (let c = 0; c < CHATS; c++)
      expect(tg.botMessages(7_300_001 + c).filter((m) => m.kind === 'video')).toHaveLength(VIDEOS_PER_CHAT);

    // The limits, measured where Telegram would measure them: at the simulator.
    const overall = maxInWindow(accepted.map((c) => c.at));
    const chat = busiestChat(accepted);
    const spanS = (Math.max(...accepted.map((c) => c.at)) - Math.min(...accepted.map((c) => c.at))) / 1000;
    process.stdout.write(
      `two notifiers, ${jobs.length} videos for ${CHATS} chats: ${accepted.length} messages in ${spanS.toFixed(1)} s; ` +
        `busiest second overall ${overall}, busiest chat-second ${chat.perSecond}, 429s ${floodRefusals(calls).length}\n`,
    );
    // The simulator refused nothing: neither limit was exceeded, by any replica.
    expect(floodRefusals(calls)).toHaveLength(0);
    // ~1/s per chat: two can fall in one second only at its very edges (one each second).
    expect(chat.perSecond).toBeLessThanOrEqual(2);
    // ~30/s: paced at 27/s, with a burst of 3 left to replies.
    expect(overall).toBeLessThanOrEqual(30);
  });
});
