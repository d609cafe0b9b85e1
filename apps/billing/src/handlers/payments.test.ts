import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicId } from '@neurocards/contracts';
import { PermanentError, transaction, type Sql } from '@neurocards/platform';
import { silentLogger } from '@neurocards/platform/testing';
import { createLedger, readAccount } from '../adapters/ledger';
import { reconcile } from '../adapters/reconcile';
import { ctx, delivered, nextUserId, placed, setupBillingDb, starPaid } from '../../test/support';
import { createConsumers } from './consumers';
import { createRpcHandlers } from './rpc';

let env: Awaited<ReturnType<typeof setupBillingDb>>;
let sql: Sql;
let h: ReturnType<typeof createConsumers>;
let rpc: ReturnType<typeof createRpcHandlers>;

beforeAll(async () => {
  env = await setupBillingDb();
  sql = env.sql;
  h = createConsumers({ sql, ledger: createLedger() });
  rpc = createRpcHandlers({ sql, ledger: createLedger(), log: silentLogger() });
});
afterAll(() => env.close());

const purchasedEvents = (chargeId: string) =>
  sql<{ payload: { data: { balance: number; credits: number } } }[]>`
    select payload from outbox where payload->>'type' = 'billing.credits.purchased.v1'
      and payload->'data'->>'chargeId' = ${chargeId}`;
const paid = h_('payments.star.paid.v1');
function h_(s: 'payments.star.paid.v1') {
  return (e: ReturnType<typeof starPaid>, c = ctx()) => h[s](e, c);
}

/** Spends `count` credits of `userId` on an order of one credit per video, all delivered. */
async function spend(userId: number, count: 1 | 3 | 5) {
  const orderId = randomUUID();
  await h['orders.order.placed.v1'](placed(orderId, userId, count), ctx());
  for (let i = 0; i < count; i++) await h['jobs.video.delivered.v1'](delivered(orderId, randomUUID()), ctx());
}

describe('payments.star.paid.v1 grants exactly once, keyed by the charge id', () => {
  it('grants the pack and writes the receipt event with the new balance', async () => {
    const userId = nextUserId();
    const ev = starPaid(userId, 30);
    await paid(ev);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 30, purchased: 30 });
    const out = await purchasedEvents(ev.data.chargeId);
    expect(out).toHaveLength(1);
    expect(out[0]!.payload).toMatchObject({
      id: deterministicId('billing.credits.purchased', ev.data.chargeId),
      data: { credits: 30, balance: 30, resume: ev.data.resume },
    });
  });

  it('the same event twice, and concurrently, grants once', async () => {
    const userId = nextUserId();
    const ev = starPaid(userId, 10);
    await Promise.all([paid(ev), paid(ev)]);
    await paid(ev, { ...ctx(), deliveryCount: 2 });
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 10 });
    expect(await purchasedEvents(ev.data.chargeId)).toHaveLength(1);
  });

  it('two events with different ids but the same charge id grant once', async () => {
    const userId = nextUserId();
    const a = starPaid(userId, 10);
    const b = starPaid(userId, 10, { chargeId: a.data.chargeId, id: randomUUID() });
    expect(b.id).not.toBe(a.id);
    await Promise.all([paid(a), paid(b)]);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 10, purchased: 10 });
    const rows = await sql`select * from ledger where charge_id = ${a.data.chargeId}`;
    expect(rows).toHaveLength(1);
  });

  it('a charge id seen again with another pack is refused for good (parked), changing nothing', async () => {
    const userId = nextUserId();
    const a = starPaid(userId, 10);
    await paid(a);
    const forged = starPaid(userId, 100, { chargeId: a.data.chargeId, id: randomUUID() });
    await expect(paid(forged)).rejects.toBeInstanceOf(PermanentError);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 10 });
  });
});

describe('billing.purchase.refund', () => {
  it('billing.purchase.get tells the buyer\'s credits held for videos in work (/refund waits for them)', async () => {
    const userId = nextUserId();
    const ev = starPaid(userId, 10);
    await paid(ev);
    await h['orders.order.placed.v1'](placed(randomUUID(), userId, 3), ctx());
    expect(await rpc.purchaseGet({ chargeId: ev.data.chargeId })).toMatchObject({ found: true, refunded: false, held: 3 });
  });

  it('after 2 of 10 purchased credits were spent, takes back 8; a second refund changes nothing', async () => {
    const userId = nextUserId();
    const ev = starPaid(userId, 10);
    await paid(ev);
    await spend(userId, 1);
    await spend(userId, 1);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 8 });

    expect(await rpc.purchaseGet({ chargeId: ev.data.chargeId })).toEqual({
      found: true,
      userId,
      credits: 10,
      stars: ev.data.stars,
      refunded: false,
      held: 0,
    });
    const first = await rpc.purchaseRefund({ chargeId: ev.data.chargeId, adminId: 42 });
    expect(first).toEqual({
      chargeId: ev.data.chargeId,
      found: true,
      userId,
      credits: 10,
      takenBack: 8,
      notTakenBack: 2,
      alreadyRefunded: false,
      balance: 0,
    });
    const second = await rpc.purchaseRefund({ chargeId: ev.data.chargeId, adminId: 42 });
    expect(second).toMatchObject({ found: true, takenBack: 8, notTakenBack: 2, alreadyRefunded: true, balance: 0 });
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 0, refunded: 8 });
    expect(await rpc.purchaseGet({ chargeId: ev.data.chargeId })).toMatchObject({ refunded: true });
    // /balance lists the purchase and what its refund took back.
    const lines = (await rpc.ledgerList({ userId, limit: 10 })).lines.map((l) => [l.kind, l.amount]);
    expect(lines).toEqual([['refund', 8], ['capture', 1], ['capture', 1], ['purchase', 10]]);
    expect(await rpc.purchaseGet({ chargeId: 'nope' })).toMatchObject({ found: false });
    expect(await sql`select * from ledger where charge_id = ${ev.data.chargeId} and kind = 'refund'`).toHaveLength(1);
  });

  it('never goes below zero and never takes held credits', async () => {
    const userId = nextUserId();
    const ev = starPaid(userId, 10);
    await paid(ev);
    // 5 credits held for an order in work.
    await h['orders.order.placed.v1'](placed(randomUUID(), userId, 5), ctx());
    const r = await rpc.purchaseRefund({ chargeId: ev.data.chargeId, adminId: 42 });
    expect(r).toMatchObject({ takenBack: 5, notTakenBack: 5, balance: 0 });
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 0, held: 5 });
  });

  it('concurrent refunds of one charge take back once', async () => {
    const userId = nextUserId();
    const ev = starPaid(userId, 10);
    await paid(ev);
    const rs = await Promise.all([
      rpc.purchaseRefund({ chargeId: ev.data.chargeId, adminId: 42 }),
      rpc.purchaseRefund({ chargeId: ev.data.chargeId, adminId: 43 }),
    ]).catch(async () =>
      // A lost race on the refunds row's key surfaces as an error; the retry sees the refund.
      [await rpc.purchaseRefund({ chargeId: ev.data.chargeId, adminId: 42 })],
    );
    expect(rs.some((r) => r.alreadyRefunded) || rs.length === 1).toBe(true);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 0, refunded: 10 });
  });

  it('an unknown charge is reported and changes nothing', async () => {
    const before = await sql`select count(*)::int as n from refunds`;
    expect(await rpc.purchaseRefund({ chargeId: 'no-such-charge', adminId: 42 })).toMatchObject({
      found: false,
      takenBack: 0,
    });
    expect(await sql`select count(*)::int as n from refunds`).toEqual(before);
  });

  it('after all of the above, the books reconcile', async () => {
    expect(await reconcile(sql)).toEqual([]);
  });
});

describe('reconcile on a ledger corrupted by hand', () => {
  let own: Awaited<ReturnType<typeof setupBillingDb>>;
  beforeAll(async () => {
    own = await setupBillingDb(2);
  });
  afterAll(() => own.close());

  it('is clean, then names each account whose books are off', async () => {
    const c = createConsumers({ sql: own.sql, ledger: createLedger() });
    const r = createRpcHandlers({ sql: own.sql, ledger: createLedger(), log: silentLogger() });
    const a = nextUserId();
    const b = nextUserId();
    const pa = starPaid(a, 10);
    const pb = starPaid(b, 30);
    await c['payments.star.paid.v1'](pa, ctx());
    await c['payments.star.paid.v1'](pb, ctx());
    await c['orders.order.placed.v1'](placed(randomUUID(), a, 3), ctx());
    await r.purchaseRefund({ chargeId: pb.data.chargeId, adminId: 1 });
    expect(await reconcile(own.sql)).toEqual([]);

    // Someone adds credits by hand, without a ledger row; a charge appears with no grant; a
    // hold is marked settled with no capture behind it.
    const [hold] = await own.sql<{ order_id: string }[]>`select order_id from holds where user_id = ${a}`;
    await own.sql`update holds set captured = 1 where order_id = ${hold!.order_id}`;
    await own.sql`update accounts set purchased = purchased + 5 where user_id = ${a}`;
    await transaction(own.sql, async (tx) => {
      await tx`insert into purchases (charge_id, purchase_id, user_id, credits, stars, provider_charge_id, invoice_created_at)
               values ('hand-made', 'handmade1', ${b}, 10, 150, 'x', now())`;
    });
    const findings = await reconcile(own.sql);
    expect(findings).toEqual(
      expect.arrayContaining([
        { userId: a, problem: expect.stringMatching(/purchased: stored 15, ledger 10/) },
        { userId: b, problem: expect.stringMatching(/charge hand-made: granted 0 times/) },
        { userId: a, problem: expect.stringMatching(/captured 1 on the hold, 0 in the ledger/) },
        { userId: a, problem: expect.stringMatching(/held 3, but its holds have 2 open/) },
      ]),
    );
  });
});
