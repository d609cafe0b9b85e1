import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubmitConsumer } from './submit-consumer';
import { ctx, manualClock, setupInfra, submitCommand } from '../../test/testing';

let env: Awaited<ReturnType<typeof setupInfra>>;
beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());

describe('kie.queue.estimate', () => {
  it('places a new order fairly and estimates its wait from the rates; an order’s own place too', async () => {
    const clock = manualClock(Date.parse('2026-12-01T17:00:00Z'));
    const dispatcher = env.dispatcher({ clock: clock.now });
    const handler = createSubmitConsumer({ sql: env.sql, defaultModel: 'kling-3.0/video', clock: clock.now });
    const heavy = 5_000_000 + Math.floor(Math.random() * 1e6);
    const orders: string[] = [];
    for (let o = 0; o < 10; o++) {
      const orderId = crypto.randomUUID();
      orders.push(orderId);
      for (let index = 1; index <= 5; index++) await handler(submitCommand({ orderId, seller: heavy, index }), ctx());
      clock.advance(1000);
    }
    // Another seller about to confirm 3 videos: at most one turn behind the heavy seller.
    const fresh = await dispatcher.estimate({ seller: heavy + 1, count: 3 });
    expect(fresh.position).toBeLessThanOrEqual(1);
    expect(fresh.waiting).toBe(3);
    expect(fresh.waitSeconds).not.toBeNull();
    expect(fresh.lastWaitSeconds!).toBeGreaterThanOrEqual(fresh.waitSeconds!);
    // The heavy seller's last order waits behind its nine others' first videos at least.
    const own = await dispatcher.estimate({ seller: heavy, orderId: orders[9]! });
    expect(own.waiting).toBe(5);
    expect(own.position).toBeGreaterThanOrEqual(9);
    expect(own.waitSeconds!).toBeGreaterThan(fresh.waitSeconds!);
    // A further order by the heavy seller goes behind everyone's first videos.
    const more = await dispatcher.estimate({ seller: heavy, count: 1 });
    expect(more.position).toBeGreaterThanOrEqual(10);
    // An order with nothing waiting.
    expect(await dispatcher.estimate({ seller: heavy, orderId: crypto.randomUUID() })).toEqual({
      position: 0,
      waitSeconds: null,
      lastWaitSeconds: null,
      waiting: 0,
    });
  });
});
