import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';
import { grantCredits, orderVideos } from '../src/seller';
import { eventsOf } from '../src/events';

/** Design §1: one video of three refused; the chat tells it before the summary, which shows the balance after its refund. */
describe('an order with one failed video', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ kieLatencyMs: 1000 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('shows the failure before the summary, whose balance is billing’s after the refund; /orders re-sends a delivered video', async () => {
    const seller = { userId: 7_400_001, languageCode: 'ru' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 3);
    // KIE moderates the generated video too: the first of the three tasks is refused, the others succeed.
    stack.kie.setBehavior({ refuseNext: 1 });
    await orderVideos(stack, seller, 3);
    const order = await eventually(
      () => eventsOf(stack.nc, 'orders.order.placed.v1').then((e) => e.find((o) => o.data.userId === seller.userId)),
      30_000,
    );
    const done = await eventually(
      () => eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.orderId === order.data.orderId)),
      120_000,
      500,
    );
    expect(done.data).toMatchObject({ delivered: 2, failed: 1 });
    const failed = (await eventsOf(stack.nc, 'jobs.video.failed.v1')).filter((e) => e.data.orderId === order.data.orderId);
    expect(failed.map((e) => e.data.reason)).toEqual(['user_violation']);

    const summary = await eventually(() => stack.tg.botMessages(seller.userId).find((m) => /завершён/.test(m.text ?? '')), 30_000);
    const failures = stack.tg.botMessages(seller.userId).filter((m) => /нарушает правила/.test(m.text ?? ''));
    expect(failures).toHaveLength(1);
    expect(failures[0]!.messageId).toBeLessThan(summary.messageId);
    // Two videos arrived in the chat, both before the summary.
    const videos = stack.tg.botMessages(seller.userId).filter((m) => m.kind === 'video');
    expect(videos).toHaveLength(2);
    for (const v of videos) expect(v.messageId).toBeLessThan(summary.messageId);

    const balance = await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId });
    expect(balance).toMatchObject({ balance: 1, held: 0 });
    expect(summary.text).toContain(`Баланс: ${balance.balance}.`);

    // /orders shows the order's videos, the failure with its reason, and re-sends a delivered
    // video by the file_id the notifier took from Telegram's answer.
    await stack.tg.userSends(seller, { text: '/orders' });
    const list = await eventually(
      () => stack.tg.botMessages(seller.userId).find((m) => m.messageId > summary.messageId && /Ваши последние заказы/.test(m.text ?? '')),
      30_000,
    );
    expect(list.text).toContain(order.data.orderId.slice(0, 8).toUpperCase());
    expect(list.text).toContain('не получилось: нарушение правил контента');
    expect((list.text ?? '').match(/доставлено/g)).toHaveLength(2);
    const resend = (list.replyMarkup?.inline_keyboard ?? []).flat();
    expect(resend).toHaveLength(2);
    await stack.tg.userPresses(seller, list.messageId, resend[0]!.callback_data!);
    const again = await eventually(
      () => stack.tg.botMessages(seller.userId).find((m) => m.kind === 'video' && m.messageId > list.messageId),
      30_000,
    );
    expect(videos.map((v) => v.video?.fileId)).toContain(again.video?.fileId);
  });
});
