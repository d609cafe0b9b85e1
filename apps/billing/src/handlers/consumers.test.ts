import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicId } from '@neurocards/contracts';
import { PermanentError, transaction, type Sql } from '@neurocards/platform';
import { auditLedger, createLedger, grant, readAccount, type Ledger } from '../adapters/ledger';
import { ctx, delivered, failed, nextUserId, outboxFor, placed, setupBillingDb } from '../../test/support';
import { createConsumers } from './consumers';

let env: Awaited<ReturnType<typeof setupBillingDb>>;
let sql: Sql;
let h: ReturnType<typeof createConsumers>;

beforeAll(async () => {
  env = await setupBillingDb();
  sql = env.sql;
  h = createConsumers({ sql, ledger: createLedger() });
});
afterAll(() => env.close());

const give = (userId: number, amount: number) =>
  transaction(sql, (tx) => grant(tx, { grantId: randomUUID(), userId, amount, grantedBy: 'test' }));
const holdsOf = (orderId: string) => sql`select * from holds where order_id = ${orderId}`;

describe('orders.order.placed.v1', () => {
  it('holds the credits and emits billing.credits.reserved.v1 with the remaining balance', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    await give(userId, 5);
    const ev = placed(orderId, userId, 3);
    await h['orders.order.placed.v1'](ev, ctx());
    const events = await outboxFor(sql, orderId);
    expect(events).toEqual([
      expect.objectContaining({
        id: deterministicId('billing.credits.reserved', orderId),
        type: 'billing.credits.reserved.v1',
        causationId: ev.id,
        data: { userId, chatId: userId, locale: 'ru', orderId, amount: 3, balance: 2 },
      }),
    ]);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 2, held: 3 });
  });

  it('rejects with the balance when it does not cover the count, holding nothing', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    await give(userId, 2);
    await h['orders.order.placed.v1'](placed(orderId, userId, 3), ctx());
    expect(await outboxFor(sql, orderId)).toEqual([
      expect.objectContaining({
        id: deterministicId('billing.credits.rejected', orderId),
        type: 'billing.credits.rejected.v1',
        data: expect.objectContaining({ orderId, requested: 3, balance: 2, reason: 'insufficient_credits' }),
      }),
    ]);
    expect(await holdsOf(orderId)).toHaveLength(0);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 2, held: 0 });
  });

  it('applies a duplicate delivery and a concurrent double call once', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    await give(userId, 5);
    const ev = placed(orderId, userId, 1);
    await Promise.all([h['orders.order.placed.v1'](ev, ctx()), h['orders.order.placed.v1'](ev, ctx())]);
    await h['orders.order.placed.v1'](ev, { ...ctx(), deliveryCount: 2 });
    expect(await outboxFor(sql, orderId)).toHaveLength(1);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 4, held: 1 });
  });

  it('holds once per orderId, even for a second placed event with another id', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    await give(userId, 10);
    await h['orders.order.placed.v1'](placed(orderId, userId, 3), ctx());
    await h['orders.order.placed.v1'](placed(orderId, userId, 3, randomUUID()), ctx());
    expect(await outboxFor(sql, orderId)).toHaveLength(1);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 7, held: 3 });
  });

  it('keeps a rejected order rejected, even after a top-up', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    await h['orders.order.placed.v1'](placed(orderId, userId, 1), ctx());
    await give(userId, 5);
    await h['orders.order.placed.v1'](placed(orderId, userId, 1, randomUUID()), ctx());
    expect((await outboxFor(sql, orderId)).map((e) => e.type)).toEqual(['billing.credits.rejected.v1']);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 5, held: 0 });
  });

  it('leaves no trace when it crashes before commit, and applies once on redelivery', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    await give(userId, 5);
    const real = createLedger();
    let crash = true;
    // The hold is written, then the process "dies" before the transaction commits.
    const flaky: Ledger = {
      ...real,
      reserve: async (tx, o) => {
        const r = await real.reserve(tx, o);
        if (crash) throw new Error('crash after the hold');
        return r;
      },
    };
    const hf = createConsumers({ sql, ledger: flaky });
    const ev = placed(orderId, userId, 5);
    await expect(hf['orders.order.placed.v1'](ev, ctx())).rejects.toThrow('crash');
    expect(await outboxFor(sql, orderId)).toHaveLength(0);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 5, held: 0 });
    crash = false;
    await hf['orders.order.placed.v1'](ev, { ...ctx(), deliveryCount: 2 });
    await hf['orders.order.placed.v1'](ev, { ...ctx(), deliveryCount: 3 });
    expect(await outboxFor(sql, orderId)).toHaveLength(1);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 0, held: 5 });
  });

  it('never lets many concurrent orders of one user overspend', async () => {
    const userId = nextUserId();
    await give(userId, 7);
    const orders = Array.from({ length: 12 }, () => randomUUID());
    await Promise.all(orders.map((o) => h['orders.order.placed.v1'](placed(o, userId, 3), ctx())));
    const types = (await Promise.all(orders.map((o) => outboxFor(sql, o)))).map((evs) =>
      evs.map((e) => e.type),
    );
    expect(types.every((t) => t.length === 1)).toBe(true);
    expect(types.flat().filter((t) => t === 'billing.credits.reserved.v1')).toHaveLength(2);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 1, held: 6 });
  });
});

describe('a 3-video order: two delivered, one failed', () => {
  it('captures two, refunds one and ends with the right balance', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    const [j1, j2, j3] = [randomUUID(), randomUUID(), randomUUID()];
    await give(userId, 5);
    await h['orders.order.placed.v1'](placed(orderId, userId, 3), ctx());
    const d1 = delivered(orderId, j1);
    await h['jobs.video.delivered.v1'](d1, ctx());
    await h['jobs.video.delivered.v1'](d1, ctx()); // redelivery
    await h['jobs.video.delivered.v1'](delivered(orderId, j1, randomUUID()), ctx()); // same job, new event id
    await h['jobs.video.failed.v1'](failed(orderId, j3, 'user_violation'), ctx());
    await h['jobs.video.delivered.v1'](delivered(orderId, j2), ctx());

    const events = await outboxFor(sql, orderId);
    expect(events.map((e) => [e.type, e.id])).toEqual([
      ['billing.credits.reserved.v1', deterministicId('billing.credits.reserved', orderId)],
      ['billing.credits.captured.v1', deterministicId('billing.credits.captured', j1)],
      ['billing.credits.refunded.v1', deterministicId('billing.credits.refunded', j3)],
      ['billing.credits.captured.v1', deterministicId('billing.credits.captured', j2)],
    ]);
    expect(events[1]!.data).toEqual({ orderId, jobId: j1, userId, amount: 1, balance: 2 });
    expect(events[2]!.data).toEqual({
      orderId,
      jobId: j3,
      userId,
      amount: 1,
      balance: 3,
      reason: 'user_violation',
    });
    expect(events[3]!.data).toEqual({ orderId, jobId: j2, userId, amount: 1, balance: 3 });
    expect(await readAccount(sql, userId)).toEqual({ userId, granted: 5, purchased: 0, refunded: 0, captured: 2, held: 0, balance: 3 });
    expect(await holdsOf(orderId)).toEqual([
      expect.objectContaining({ amount: 3, captured: 2, released: 1 }),
    ]);
    expect(await auditLedger(sql)).toEqual([]);
  });
});

describe('a 3-video order at 2 credits a video', () => {
  const books = async (userId: number) => {
    const a = await readAccount(sql, userId);
    // balance = grants − captured − held, at every step.
    expect(a.balance).toBe(a.granted - a.captured - a.held);
    return a;
  };

  it('holds 6, captures 2 per delivered video and refunds 2 per failed one', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    const [j1, j2, j3] = [randomUUID(), randomUUID(), randomUUID()];
    await give(userId, 10);
    await h['orders.order.placed.v1'](placed(orderId, userId, 3, undefined, 2), ctx());
    expect(await books(userId)).toMatchObject({ granted: 10, held: 6, captured: 0, balance: 4 });

    await h['jobs.video.delivered.v1'](delivered(orderId, j1), ctx());
    await h['jobs.video.delivered.v1'](delivered(orderId, j1, randomUUID()), ctx()); // same job again
    expect(await books(userId)).toMatchObject({ held: 4, captured: 2, balance: 4 });
    await h['jobs.video.failed.v1'](failed(orderId, j2, 'config'), ctx());
    expect(await books(userId)).toMatchObject({ held: 2, captured: 2, balance: 6 });
    await h['jobs.video.delivered.v1'](delivered(orderId, j3), ctx());
    expect(await books(userId)).toMatchObject({ held: 0, captured: 4, balance: 6 });

    const events = await outboxFor(sql, orderId);
    expect(events.map((e) => [e.type, (e.data as { amount: number }).amount])).toEqual([
      ['billing.credits.reserved.v1', 6],
      ['billing.credits.captured.v1', 2],
      ['billing.credits.refunded.v1', 2],
      ['billing.credits.captured.v1', 2],
    ]);
    expect(events[2]!.data).toMatchObject({ jobId: j2, balance: 6, reason: 'config' });
    expect(await holdsOf(orderId)).toEqual([
      expect.objectContaining({ amount: 6, captured: 4, released: 2, per_video: 2 }),
    ]);
    // The hold is used up: a fourth video cannot settle anything.
    await expect(h['jobs.video.failed.v1'](failed(orderId, randomUUID()), ctx())).rejects.toBeInstanceOf(
      PermanentError,
    );
    expect(await auditLedger(sql)).toEqual([]);
  });

  it('rejects naming the whole price when the balance covers the count but not the price', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    await give(userId, 5);
    await h['orders.order.placed.v1'](placed(orderId, userId, 3, undefined, 2), ctx());
    expect((await outboxFor(sql, orderId))[0]!.data).toMatchObject({ requested: 6, balance: 5 });
    expect(await books(userId)).toMatchObject({ held: 0, balance: 5 });
  });
});

describe('broken invariants are permanent', () => {
  it('a capture for an unknown order is parked, nothing changes', async () => {
    const orderId = randomUUID();
    const ev = delivered(orderId, randomUUID());
    await expect(h['jobs.video.delivered.v1'](ev, ctx())).rejects.toBeInstanceOf(PermanentError);
    expect(await outboxFor(sql, orderId)).toHaveLength(0);
  });

  it('a release beyond the hold is parked and the balance stays put', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    await give(userId, 2);
    await h['orders.order.placed.v1'](placed(orderId, userId, 1), ctx());
    await h['jobs.video.failed.v1'](failed(orderId, randomUUID()), ctx());
    await expect(h['jobs.video.failed.v1'](failed(orderId, randomUUID()), ctx())).rejects.toBeInstanceOf(
      PermanentError,
    );
    await expect(
      h['jobs.video.delivered.v1'](delivered(orderId, randomUUID()), ctx()),
    ).rejects.toBeInstanceOf(PermanentError);
    expect((await outboxFor(sql, orderId)).map((e) => e.type)).toEqual([
      'billing.credits.reserved.v1',
      'billing.credits.refunded.v1',
    ]);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 2, held: 0, captured: 0 });
  });

  it('a capture for an order that was rejected is parked', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    await h['orders.order.placed.v1'](placed(orderId, userId, 1), ctx());
    await expect(
      h['jobs.video.delivered.v1'](delivered(orderId, randomUUID()), ctx()),
    ).rejects.toBeInstanceOf(PermanentError);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 0, held: 0, captured: 0 });
  });
});
