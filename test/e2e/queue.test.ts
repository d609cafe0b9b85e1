import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';
import { grantCredits, lastBotMessageId, orderVideos, press } from '../src/seller';
import { eventsOf } from '../src/events';

/** Design §6.1, through the whole product: waiting is not failing; a queued video can be cancelled. */
describe('videos waiting for a key', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ kieLatencyMs: 1000 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('wait in the queue while every key cools down, and are cancelled with a refund on request', async () => {
    // Every account answers 429 for a while: each key cools down and each video backs off in
    // the queue (a minute), never failed.
    stack.kie.setBehavior({ force429Next: 20 });
    const seller = { userId: 7_400_001, languageCode: 'en' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 3);
    const mark = lastBotMessageId(stack, seller.userId);
    await orderVideos(stack, seller, 3);
    const order = await eventually(
      () => eventsOf(stack.nc, 'orders.order.placed.v1').then((e) => e.find((o) => o.data.userId === seller.userId)),
      30_000,
    );
    const orderId = order.data.orderId;
    // KIE refused the first tries for the rate: both accounts cool down, and all three videos
    // wait in the queue (two backing off, one never sent).
    await eventually(() => totalCreateTasks() >= 2, 30_000, 200);
    await eventually(
      async () => (await requestRpc(stack.nc, 'kie.queue.estimate', { seller: seller.userId, orderId })).waiting === 3,
      30_000,
      200,
    );
    expect(await eventsOf(stack.nc, 'jobs.video.failed.v1').then((e) => e.filter((f) => f.data.orderId === orderId))).toEqual([]);
    expect(await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId })).toMatchObject({ balance: 0, held: 3 });

    // The seller presses "Cancel queued videos" on the "taken into work" message.
    await press(stack, seller, /Cancel queued videos/, mark);
    const done = await eventually(
      () => eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.orderId === orderId)),
      60_000,
      500,
    );
    expect(done.data).toMatchObject({ delivered: 0, failed: 3 });
    const failed = (await eventsOf(stack.nc, 'jobs.video.failed.v1')).filter((e) => e.data.orderId === orderId);
    expect(failed.map((e) => e.data.reason)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    // Exactly the three credits back, and one message for the cancelled videos.
    await eventually(async () => {
      const b = await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId });
      return b.balance === 3 && b.held === 0;
    });
    await eventually(() => stack.tg.botMessages(seller.userId).some((m) => /videos still queued are cancelled/.test(m.text ?? '')));
    expect(stack.tg.botMessages(seller.userId).filter((m) => /cancelled/.test(m.text ?? ''))).toHaveLength(1);
    // KIE never accepted any of them.
    const accepted = (await eventsOf(stack.nc, 'kie.task.submitted.v1')).filter((e) => e.data.orderId === orderId);
    expect(accepted).toEqual([]);
  });

  const totalCreateTasks = () => Object.values(stack.kie.requestCounts()).reduce((n, c) => n + c.createTask, 0);
});
