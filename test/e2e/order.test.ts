import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';
import { grantCredits, orderVideos } from '../src/seller';
import { eventsOf } from '../src/events';

/**
 * The walking skeleton, end to end: the five services as separate processes (the same
 * code path as `pnpm start`), real NATS JetStream and PostgreSQL, and the Telegram, KIE
 * and OpenAI simulators in place of the internet.
 */
describe('a seller orders videos through the bot', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ kieLatencyMs: 1500 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('gets exactly 3 videos for an order of 3 and pays exactly 3 credits', async () => {
    const seller = { userId: 7_100_001, firstName: 'Аня', languageCode: 'ru' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 5);
    expect((await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId })).balance).toBe(5);

    await orderVideos(stack, seller, 3);

    const placed = await eventually(() => eventsOf(stack.nc, 'orders.order.placed.v1').then((e) => e[0]), 30_000);
    const orderId = placed.data.orderId;
    const completed = await eventually(
      () => eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.orderId === orderId)),
      120_000,
      500,
    );
    expect(completed.data).toMatchObject({ count: 3, delivered: 3, failed: 0 });

    // Every job was delivered, and each one's credit captured once.
    const delivered = (await eventsOf(stack.nc, 'jobs.video.delivered.v1')).filter((e) => e.data.orderId === orderId);
    expect(new Set(delivered.map((e) => e.data.jobId)).size).toBe(3);
    const captured = (await eventsOf(stack.nc, 'billing.credits.captured.v1')).filter((e) => e.data.orderId === orderId);
    expect(captured).toHaveLength(3);

    // Exactly three videos reached the chat, numbered 1..3.
    const videos = stack.tg.botMessages(seller.userId).filter((m) => m.kind === 'video');
    expect(videos).toHaveLength(3);
    expect(videos.map((v) => v.caption ?? '').join(' ')).toMatch(/1\D+3/);

    const balance = await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId });
    expect(balance).toMatchObject({ balance: 2, held: 0 });

    // The photo reached KIE through its upload API, never as a Telegram (token-bearing) URL.
    for (const task of stack.kie.tasks()) {
      for (const url of task.imageUrls) expect(url).not.toContain(stack.tg.token);
    }
  });
});
