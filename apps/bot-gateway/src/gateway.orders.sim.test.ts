import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscription } from '@nats-io/transport-node';
import type { Locale, RpcResponse } from '@neurocards/contracts';
import type { Runtime } from '@neurocards/platform';
import { TEST_NATS_URL, uniqueName } from '@neurocards/platform/testing';
import { makeTinyMp4, startTelegramSim, type SimMessage, type TelegramSim, type TgMessage } from '@neurocards/sandbox';
import { t } from './i18n';
import { offeredModel, putTestOffer, serveTestBilling, startTestGateway } from '../test/support';

/**
 * /orders through the Telegram simulator: the seller's latest orders from the orchestrator
 * (the test's own fake here), each video's state, the queue position of an order in
 * progress, and a button per delivered video that sends it again by its Telegram file_id.
 */

let sim: TelegramSim;
let rt: Runtime;
let billing: ReturnType<typeof serveTestBilling>;
const subs: Subscription[] = [];
const updatesDurable = uniqueName('gw_orders');
const ourUsers = new Set<number>();
/** Each user's orders as the fake orchestrator lists them. */
const ordersOf = new Map<number, RpcResponse<'orchestrator.orders.list'>['orders']>();
const newUser = (languageCode: string) => {
  const userId = 830_000_000 + Math.floor(Math.random() * 90_000_000);
  ourUsers.add(userId);
  return { userId, firstName: 'Seller', languageCode };
};
const kling = offeredModel({ creditsPerVideo: 1 });
const buttonsOf = (m: SimMessage) => m.replyMarkup?.inline_keyboard.flat() ?? [];

/** A video in the chat as the notifier sends it (a multipart upload); returns its file_id. */
async function notifierSendsVideo(chatId: number): Promise<string> {
  for (;;) {
    const form = new FormData();
    form.set('chat_id', String(chatId));
    form.set('video', 'attach://file0');
    form.set('file0', new Blob([makeTinyMp4({ seconds: 2 }).bytes], { type: 'video/mp4' }), 'video.mp4');
    const res = await fetch(`${sim.apiRoot}/bot${sim.token}/sendVideo`, { method: 'POST', body: form });
    const body = (await res.json()) as { ok: boolean; result?: TgMessage; parameters?: { retry_after?: number } };
    if (body.ok) return body.result!.video!.file_id;
    await new Promise((r) => setTimeout(r, (body.parameters?.retry_after ?? 1) * 1000));
  }
}

beforeAll(async () => {
  sim = await startTelegramSim({ token: `${7_300_000_000 + Math.floor(Math.random() * 1e8)}:AAH-sim-orders-token` });
  const offerKey = uniqueName('offer');
  rt = await startTestGateway({
    sim,
    natsUrl: TEST_NATS_URL,
    options: async (r) => {
      await putTestOffer(r.nc, offerKey, [kling]);
      return { offerKey, updatesDurable };
    },
  });
  billing = serveTestBilling(rt.nc, ourUsers, 10);
  // The orchestrator's and the dispatcher's answers, for this test's users only.
  const list = rt.nc.subscribe('orchestrator.orders.list');
  const video = rt.nc.subscribe('orchestrator.video.get');
  const estimate = rt.nc.subscribe('kie.queue.estimate');
  subs.push(list, video, estimate);
  void (async () => {
    for await (const m of list) {
      const { userId, limit } = m.json<{ userId: number; limit: number }>();
      if (ourUsers.has(userId)) m.respond(JSON.stringify({ orders: (ordersOf.get(userId) ?? []).slice(0, limit) }));
    }
  })();
  void (async () => {
    for await (const m of video) {
      const { userId, jobId } = m.json<{ userId: number; jobId: string }>();
      if (!ourUsers.has(userId)) continue;
      const job = (ordersOf.get(userId) ?? []).flatMap((o) => o.jobs).find((j) => j.jobId === jobId);
      m.respond(JSON.stringify(job ? { found: true, fileId: job.fileId } : { found: false, fileId: null }));
    }
  })();
  void (async () => {
    for await (const m of estimate) {
      const { seller } = m.json<{ seller: number }>();
      if (ourUsers.has(seller)) m.respond(JSON.stringify({ position: 2, waitSeconds: 300, lastWaitSeconds: 600, waiting: 1 }));
    }
  })();
}, 30_000);

afterAll(async () => {
  for (const s of subs) s.unsubscribe();
  billing?.stop();
  await rt?.jsm.consumers.delete('UPDATES', updatesDurable).catch(() => undefined);
  await rt?.shutdown.run('test done');
  await sim?.close();
});

describe.each(['ru', 'en'] as const)('/orders in %s', (locale: Locale) => {
  it('lists the orders with each video state and the queue; a button re-sends a delivered video by file_id; an unknown one is answered politely', async () => {
    const user = newUser(locale);
    const chatId = user.userId;
    await sim.userSends(user, { text: '/orders' });
    await sim.waitForBotMessage(chatId, (m) => m.text === t(locale, 'ordersNone'), 15_000);

    await sim.userSends(user, { text: '/start' });
    const fileId = await notifierSendsVideo(chatId);
    const [done, running] = [randomUUID(), randomUUID()];
    const [delivered, failed, queued] = [randomUUID(), randomUUID(), randomUUID()];
    ordersOf.set(user.userId, [
      {
        orderId: running,
        placedAt: '2026-12-01T10:00:00.000Z',
        template: 'ad',
        model: kling.id,
        count: 1,
        status: 'active',
        jobs: [{ jobId: queued, index: 1, state: 'queued', failureReason: null, fileId: null }],
      },
      {
        orderId: done,
        placedAt: '2026-11-30T10:00:00.000Z',
        template: 'ugc',
        model: kling.id,
        count: 3,
        status: 'completed',
        jobs: [
          { jobId: delivered, index: 1, state: 'delivered', failureReason: null, fileId },
          { jobId: failed, index: 2, state: 'failed', failureReason: 'user_violation', fileId: null },
          { jobId: randomUUID(), index: 3, state: 'generating', failureReason: null, fileId: null },
        ],
      },
    ]);
    await sim.userSends(user, { text: '/orders' });
    const list = await sim.waitForBotMessage(chatId, (m) => m.text?.startsWith(t(locale, 'ordersTitle')) ?? false, 15_000);
    const text = list.text!;
    expect(text.indexOf(running.slice(0, 8).toUpperCase())).toBeLessThan(text.indexOf(done.slice(0, 8).toUpperCase()));
    expect(text).toContain(locale === 'ru' ? '30.11.2026' : '2026-11-30');
    expect(text).toContain(kling.label);
    expect(text).toContain(t(locale, 'templateAd'));
    expect(text).toContain(t(locale, 'ordersVideo', { index: 1, state: t(locale, 'ordersStateQueued') }));
    expect(text).toContain(t(locale, 'ordersVideo', { index: 1, state: t(locale, 'ordersStateDelivered') }));
    expect(text).toContain(t(locale, 'ordersStateFailed', { reason: t(locale, 'ordersReasonUserViolation') }));
    expect(text).toContain(t(locale, 'ordersStateGenerating'));
    expect(text).toContain(t(locale, 'ordersQueue', { position: 3, minutes: 5 }));
    // One button: the one delivered video; its data fits Telegram's 64 bytes.
    const buttons = buttonsOf(list);
    expect(buttons).toHaveLength(1);
    expect(Buffer.byteLength(buttons[0]!.callback_data!)).toBeLessThanOrEqual(64);

    const videosBefore = sim.botMessages(chatId).filter((m) => m.kind === 'video').length;
    await sim.userPresses(user, list.messageId, buttons[0]!.callback_data!);
    const again = await sim.waitForBotMessage(chatId, (m) => m.kind === 'video' && m.messageId > list.messageId, 15_000);
    expect(again.video?.fileId).toBe(fileId);
    expect(sim.botMessages(chatId).filter((m) => m.kind === 'video')).toHaveLength(videosBefore + 1);

    // A video the orchestrator does not know as this seller's (ownership is checked there) is
    // not sent: the press gets a polite answer instead.
    ordersOf.set(user.userId, []);
    await sim.userPresses(user, list.messageId, buttons[0]!.callback_data!);
    await expect
      .poll(() => sim.apiCalls().some((c) => c.method === 'answerCallbackQuery' && c.params.text === t(locale, 'ordersVideoUnknown')), {
        timeout: 15_000,
      })
      .toBe(true);
    expect(sim.botMessages(chatId).filter((m) => m.kind === 'video')).toHaveLength(videosBefore + 1);
  }, 60_000);
});
