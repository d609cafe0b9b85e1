import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { SERVICES } from '@neurocards/launcher';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';
import { grantCredits, orderVideos } from '../src/seller';
import { eventsOf } from '../src/events';

describe('services stopped with SIGTERM in the middle of an order', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Slow enough that every restart below happens while videos are being made.
    stack = await startStack({ kieLatencyMs: 8000 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('shut down cleanly, lose nothing, and the order completes after restart', async () => {
    onTestFailed(async () => {
      process.stderr.write(`${await stack.diagnose()}\n`);
    });
    const seller = { userId: 7_200_001, languageCode: 'ru' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 3);
    await orderVideos(stack, seller, 3);
    const placed = await eventually(() => eventsOf(stack.nc, 'orders.order.placed.v1').then((e) => e[0]), 30_000);
    const orderId = placed.data.orderId;
    await eventually(() => eventsOf(stack.nc, 'kie.task.submitted.v1').then((e) => e.length > 0), 60_000, 250);

    for (const name of SERVICES) {
      // Exit code 0 means the ordered shutdown finished before its 9 s hard deadline
      // (which exits with 1).
      expect(await stack.terminate(name), `${name} exit code`).toBe(0);
      await stack.restart(name);
    }

    const completed = await eventually(
      () => eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.orderId === orderId)),
      180_000,
      500,
    );
    expect(completed.data).toMatchObject({ delivered: 3, failed: 0 });
    expect(stack.tg.botMessages(seller.userId).filter((m) => m.kind === 'video')).toHaveLength(3);
    expect(await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId })).toMatchObject({
      balance: 0,
      held: 0,
    });
  });
});
