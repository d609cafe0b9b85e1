import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';
import { adminSays, grantCredits, orderVideos } from '../src/seller';
import { eventsOf, offeredModels } from '../src/events';

/**
 * The model catalogue through the whole product: Veo 3.1 Fast and Kling 3.0 at their own
 * prices, each request in its model's shape at the KIE simulator, an admin switching a
 * model off, and a model KIE withdraws. One KIE account with two keys, so "once per
 * (model, account)" is exactly once.
 */
describe('videos of the offered models', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      kieLatencyMs: 1000,
      env: {
        KIE_API_KEYS: 'acct/k1=e2e-key-1,acct/k2=e2e-key-2',
        KIE_MODELS: 'veo3_fast,kling-3.0/video',
        KIE_MODEL_PRICES: 'veo3_fast:3,kling-3.0/video:2',
      },
      kie: { accounts: { acct: ['e2e-key-1', 'e2e-key-2'] } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const orderOf = (userId: number) =>
    eventually(() => eventsOf(stack.nc, 'orders.order.placed.v1').then((e) => e.find((o) => o.data.userId === userId)), 30_000);
  const completed = (orderId: string) =>
    eventually(
      () => eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.orderId === orderId)),
      120_000,
      500,
    );
  const ofOrder = async <T extends Parameters<typeof eventsOf>[1]>(type: T, orderId: string) =>
    (await eventsOf(stack.nc, type)).filter((e) => (e.data as { orderId?: string }).orderId === orderId);
  /** Billing settles each video after the orchestrator's completion event: wait for all of them. */
  const settled = (type: 'billing.credits.captured.v1' | 'billing.credits.refunded.v1', orderId: string, n: number) =>
    eventually(async () => {
      const found = (await eventsOf(stack.nc, type)).filter((e) => e.data.orderId === orderId);
      return found.length >= n ? found.map((e) => e.data.amount) : null;
    }, 30_000, 200);
  const balanceOf = (userId: number) => requestRpc(stack.nc, 'billing.balance.get', { userId });
  /** The offer in KV changed; the bot re-reads it at most every 5 s (its cache), so give it that. */
  const botSees = async (models: string[]) => {
    await eventually(async () => JSON.stringify(await offeredModels(stack.nc)) === JSON.stringify(models), 30_000, 200);
    await new Promise((r) => setTimeout(r, 5500));
  };

  it('a Veo 3.1 Fast order and a Kling 3.0 order complete, each held at its price and sent in its shape', async () => {
    await botSees(['veo3_fast', 'kling-3.0/video']);

    // Veo 3.1 Fast is first in KIE_MODELS: the default. 3 credits a video.
    const veoSeller = { userId: 7_400_001, languageCode: 'en' };
    await grantCredits(stack, ADMIN_ID, veoSeller.userId, 10);
    await orderVideos(stack, veoSeller, 1);
    const veoOrder = await orderOf(veoSeller.userId);
    expect(veoOrder.data).toMatchObject({
      count: 1,
      spec: { model: 'veo3_fast', aspectRatio: 'portrait', duration: 8 },
      creditsPerVideo: 3,
    });
    expect((await completed(veoOrder.data.orderId)).data).toMatchObject({ delivered: 1, failed: 0 });
    expect((await ofOrder('billing.credits.reserved.v1', veoOrder.data.orderId))[0]!.data.amount).toBe(3);
    expect(await settled('billing.credits.captured.v1', veoOrder.data.orderId, 1)).toEqual([3]);
    expect(await balanceOf(veoSeller.userId)).toMatchObject({ balance: 7, held: 0 });
    const veoTasks = stack.kie.tasks().filter((t) => t.model === 'veo3_fast');
    expect(veoTasks).toHaveLength(1);
    expect(veoTasks[0]).toMatchObject({ family: 'veo', state: 'success' });
    // https://docs.kie.ai/veo3-api/generate-veo-3-video: the body itself, 9:16 for portrait.
    expect(veoTasks[0]!.input).toMatchObject({ model: 'veo3_fast', aspect_ratio: '9:16', imageUrls: [expect.any(String)] });

    // An admin turns Veo off: Kling 3.0 becomes the default. 2 credits a video.
    expect(await adminSays(stack, ADMIN_ID, '/model off veo3_fast', /veo3_fast/)).toBe(
      'Model veo3_fast is not offered to sellers.',
    );
    await botSees(['kling-3.0/video']);
    const klingSeller = { userId: 7_400_002, languageCode: 'ru' };
    await grantCredits(stack, ADMIN_ID, klingSeller.userId, 7);
    await orderVideos(stack, klingSeller, 3);
    const klingOrder = await orderOf(klingSeller.userId);
    expect(klingOrder.data).toMatchObject({
      count: 3,
      spec: { model: 'kling-3.0/video', aspectRatio: 'portrait', duration: 5 },
      creditsPerVideo: 2,
    });
    expect((await completed(klingOrder.data.orderId)).data).toMatchObject({ delivered: 3, failed: 0 });
    expect((await ofOrder('billing.credits.reserved.v1', klingOrder.data.orderId))[0]!.data.amount).toBe(6);
    expect(await settled('billing.credits.captured.v1', klingOrder.data.orderId, 3)).toEqual([2, 2, 2]);
    expect(await balanceOf(klingSeller.userId)).toMatchObject({ balance: 1, held: 0 });
    const klingTasks = stack.kie.tasks().filter((t) => t.model === 'kling-3.0/video');
    expect(klingTasks).toHaveLength(3);
    for (const task of klingTasks) {
      expect(task).toMatchObject({ family: 'market', state: 'success' });
      // https://docs.kie.ai/market/kling/kling-3.0: duration is a string of seconds.
      expect(task.input).toMatchObject({ duration: '5', aspect_ratio: '9:16', image_urls: [expect.any(String)] });
      expect(task.input).not.toHaveProperty('n_frames');
    }

    expect(await adminSays(stack, ADMIN_ID, '/model on veo3_fast', /veo3_fast/)).toBe('Model veo3_fast is offered to sellers.');
  });

  it("a seller's own choices (Kling 3.0, 16:9, 10 s, not the defaults) reach KIE exactly, held at model price × count", async () => {
    await botSees(['veo3_fast', 'kling-3.0/video']);
    const seller = { userId: 7_400_010, languageCode: 'en' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 10);
    const before = stack.kie.tasks().length;
    await orderVideos(stack, seller, 3, undefined, { model: /Kling 3\.0/, format: 'landscape', seconds: 10 });
    const order = await orderOf(seller.userId);
    expect(order.data).toMatchObject({
      count: 3,
      spec: { model: 'kling-3.0/video', aspectRatio: 'landscape', duration: 10 },
      creditsPerVideo: 2,
    });
    // Billing holds exactly model price × count.
    expect((await eventually(() => ofOrder('billing.credits.reserved.v1', order.data.orderId).then((r) => r[0]), 30_000)).data.amount).toBe(6);
    expect((await completed(order.data.orderId)).data).toMatchObject({ delivered: 3, failed: 0 });
    const tasks = stack.kie.tasks().slice(before).filter((t) => t.model === 'kling-3.0/video');
    expect(tasks).toHaveLength(3);
    // https://docs.kie.ai/market/kling/kling-3.0: duration a string of seconds, 16:9 for landscape.
    for (const task of tasks) expect(task.input).toMatchObject({ duration: '10', aspect_ratio: '16:9' });
    expect(await settled('billing.credits.captured.v1', order.data.orderId, 3)).toEqual([2, 2, 2]);
    expect(await balanceOf(seller.userId)).toMatchObject({ balance: 4, held: 0 });
  });

  it('a model KIE withdraws: its videos are refunded as "temporarily unavailable", one admin alert, the bot offers the rest', async () => {
    await botSees(['veo3_fast', 'kling-3.0/video']);
    stack.kie.withdrawModel('veo3_fast');
    const seller = { userId: 7_400_003, languageCode: 'en' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 9);
    await orderVideos(stack, seller, 3);
    const order = await orderOf(seller.userId);
    expect(order.data).toMatchObject({ spec: { model: 'veo3_fast' }, creditsPerVideo: 3 });
    expect((await completed(order.data.orderId)).data).toMatchObject({ delivered: 0, failed: 3 });

    const failed = await ofOrder('jobs.video.failed.v1', order.data.orderId);
    expect(failed.map((e) => e.data.reason)).toEqual(['config', 'config', 'config']);
    expect(await settled('billing.credits.refunded.v1', order.data.orderId, 3)).toEqual([3, 3, 3]);
    expect(await balanceOf(seller.userId)).toMatchObject({ balance: 9, held: 0 });
    const texts = () => stack.tg.botMessages(seller.userId).map((m) => m.text ?? '');
    await eventually(() => texts().filter((t) => /temporarily unavailable/i.test(t) && t.includes('@support')).length === 3);
    expect(texts().filter((t) => /content rules/i.test(t))).toEqual([]);

    // The admins hear it once, and the bot no longer offers it.
    const alerts = () => stack.tg.botMessages(ADMIN_ID).filter((m) => /Модель «veo3_fast» недоступна/.test(m.text ?? ''));
    await eventually(() => alerts().length > 0);
    expect(await eventsOf(stack.nc, 'kie.model.unavailable.v1')).toHaveLength(1);
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]!.text).toContain('/model on veo3_fast');
    await botSees(['kling-3.0/video']);

    // Orders go on with the model that is left.
    const next = { userId: 7_400_004, languageCode: 'en' };
    await grantCredits(stack, ADMIN_ID, next.userId, 2);
    await orderVideos(stack, next, 1);
    const nextOrder = await orderOf(next.userId);
    expect(nextOrder.data).toMatchObject({ spec: { model: 'kling-3.0/video' }, creditsPerVideo: 2 });
    expect((await completed(nextOrder.data.orderId)).data).toMatchObject({ delivered: 1, failed: 0 });
    await settled('billing.credits.captured.v1', nextOrder.data.orderId, 1);
    expect(await balanceOf(next.userId)).toMatchObject({ balance: 0, held: 0 });
  });
});
