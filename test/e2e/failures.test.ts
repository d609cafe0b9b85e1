import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';
import { grantCredits, orderVideos } from '../src/seller';
import { eventsOf } from '../src/events';

/** Design §1's failure table, through the whole product: the right message, the credit back. */
describe('videos that fail', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ kieLatencyMs: 1000 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const completedOrder = (orderId: string) =>
    eventually(
      () => eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.orderId === orderId)),
      120_000,
      500,
    );
  const orderOf = async (userId: number) =>
    eventually(() => eventsOf(stack.nc, 'orders.order.placed.v1').then((e) => e.find((o) => o.data.userId === userId)), 30_000);

  it('a content refusal: the seller is told, every credit comes back, nothing is retried', async () => {
    const seller = { userId: 7_300_001, languageCode: 'ru' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 3);
    // The KIE simulator refuses prompts carrying its marker as a content-policy failure.
    await orderVideos(stack, seller, 3, 'Покажи товар рядом с надписью FORBIDDEN');
    const order = await orderOf(seller.userId);
    const done = await completedOrder(order.data.orderId);
    expect(done.data).toMatchObject({ delivered: 0, failed: 3 });

    const failed = (await eventsOf(stack.nc, 'jobs.video.failed.v1')).filter((e) => e.data.orderId === order.data.orderId);
    expect(failed.map((e) => e.data.reason)).toEqual(['user_violation', 'user_violation', 'user_violation']);
    // One KIE task per video: a content refusal is never retried.
    const tasks = stack.kie.tasks().filter((t) => t.prompt.includes('FORBIDDEN'));
    expect(tasks).toHaveLength(3);

    await eventually(() => stack.tg.botMessages(seller.userId).filter((m) => /нарушает правила/.test(m.text ?? '')).length === 3);
    expect(await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId })).toMatchObject({ balance: 3, held: 0 });
    // The summary comes after every failure message, with the balance after all the refunds.
    const summary = await eventually(() => stack.tg.botMessages(seller.userId).find((m) => /завершён/.test(m.text ?? '')), 30_000);
    const failures = stack.tg.botMessages(seller.userId).filter((m) => /нарушает правила/.test(m.text ?? ''));
    for (const f of failures) expect(f.messageId).toBeLessThan(summary.messageId);
    expect(summary.text).toContain('Баланс: 3.');
  });

  it("a key's billing error: key blocked, admins alerted, the seller refunded and sent to support", async () => {
    // Both keys broken and one video: whichever key takes it answers with an account error.
    // (More videos than that would, by design, wait in the queue once both keys are blocked.)
    stack.kie.setBehavior({ accountErrors: { 'e2e-key-1': 402, 'e2e-key-2': 402 } });
    const callsBefore = totalCreateTasks();
    const seller = { userId: 7_300_002, languageCode: 'en' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 2);
    await orderVideos(stack, seller, 1);
    const order = await orderOf(seller.userId);
    const done = await completedOrder(order.data.orderId);
    expect(done.data).toMatchObject({ delivered: 0, failed: 1 });
    const failed = (await eventsOf(stack.nc, 'jobs.video.failed.v1')).filter((e) => e.data.orderId === order.data.orderId);
    expect(failed.map((e) => e.data.reason)).toEqual(['billing']);
    // No retry after a billing error, on this key or another.
    expect(totalCreateTasks() - callsBefore).toBe(1);

    const blocked = await eventsOf(stack.nc, 'kie.key.blocked.v1');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.data).toMatchObject({ code: 402, allKeysBlocked: false });
    const keyName = blocked[0]!.data.keyName;
    await eventually(() => stack.tg.botMessages(ADMIN_ID).some((m) => (m.text ?? '').includes(keyName) && /402/.test(m.text ?? '')));

    await eventually(() => stack.tg.botMessages(seller.userId).some((m) => /temporarily unavailable/i.test(m.text ?? '') && /@support/.test(m.text ?? '')));
    expect(await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId })).toMatchObject({ balance: 2, held: 0 });
  });

  const totalCreateTasks = () =>
    Object.values(stack.kie.requestCounts()).reduce((n, c) => n + c.createTask, 0);
});
