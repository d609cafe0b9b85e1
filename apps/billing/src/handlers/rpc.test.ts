import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { deterministicId } from '@neurocards/contracts';
import { requestRpc, RpcError, type Sql } from '@neurocards/platform';
import { connectTestNats, uniqueName } from '@neurocards/platform/testing';
import { createLedger } from '../adapters/ledger';
import { ctx, delivered, failed, outboxFor, placed, setupBillingDb } from '../../test/support';
import { createConsumers } from './consumers';
import { createRpcHandlers, serveBillingRpc } from './rpc';

let env: Awaited<ReturnType<typeof setupBillingDb>>;
let sql: Sql;
let nc: NatsConnection;
let subs: Subscription[];

// The rpc subjects are global: a running billing service would also answer them. Users unique
// to this run keep our assertions ours; a queue group of our own makes sure our handler
// always receives each request.
const uniqueUser = () => 7_000_000_000_000 + randomInt(1, 2 ** 40);

beforeAll(async () => {
  env = await setupBillingDb();
  sql = env.sql;
  nc = await connectTestNats();
  const handlers = createRpcHandlers({ sql, ledger: createLedger(), log: env.log });
  subs = serveBillingRpc(nc, handlers, env.log, uniqueName('billing-test'));
  await nc.flush();
});
afterAll(async () => {
  await Promise.all(subs.map((s) => s.drain()));
  await nc.drain();
  await env.close();
});

describe('billing.balance.get', () => {
  it('answers 0 / 0 for an unknown user without creating an account', async () => {
    const userId = uniqueUser();
    expect(await requestRpc(nc, 'billing.balance.get', { userId })).toEqual({ userId, balance: 0, held: 0 });
    expect(await sql`select 1 from accounts where user_id = ${userId}`).toHaveLength(0);
  });

  it('reports spendable and held credits', async () => {
    const userId = uniqueUser();
    await requestRpc(nc, 'billing.credits.grant', { grantId: randomUUID(), userId, amount: 5, grantedBy: 1 });
    await createConsumers({ sql, ledger: createLedger() })['orders.order.placed.v1'](
      placed(randomUUID(), userId, 3),
      ctx(),
    );
    expect(await requestRpc(nc, 'billing.balance.get', { userId })).toEqual({ userId, balance: 2, held: 3 });
  });

  it('answers a malformed request with an error, not silence', async () => {
    await expect(requestRpc(nc, 'billing.balance.get', { userId: 'x' as never })).rejects.toThrow();
    const raw = await nc.request('billing.balance.get', JSON.stringify({ userId: 'x' }));
    expect(raw.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });
});

describe('billing.ledger.list', () => {
  it('lists grants, paid videos and refunds, newest first, without holds; none for an unknown user', async () => {
    const userId = uniqueUser();
    expect(await requestRpc(nc, 'billing.ledger.list', { userId, limit: 10 })).toEqual({ lines: [] });
    await requestRpc(nc, 'billing.credits.grant', { grantId: randomUUID(), userId, amount: 5, grantedBy: 42 });
    const orderId = randomUUID();
    const consumers = createConsumers({ sql, ledger: createLedger() });
    await consumers['orders.order.placed.v1'](placed(orderId, userId, 3, undefined, 1), ctx());
    await consumers['jobs.video.delivered.v1'](delivered(orderId, `${orderId}:0`), ctx());
    await consumers['jobs.video.failed.v1'](failed(orderId, `${orderId}:1`), ctx());
    const { lines } = await requestRpc(nc, 'billing.ledger.list', { userId, limit: 10 });
    expect(lines.map((l) => [l.kind, l.amount, l.orderId, l.grantedBy])).toEqual([
      ['release', 1, orderId, null],
      ['capture', 1, orderId, null],
      ['grant', 5, null, '42'],
    ]);
    expect(Number.isNaN(Date.parse(lines[0]!.at))).toBe(false);
    expect((await requestRpc(nc, 'billing.ledger.list', { userId, limit: 1 })).lines).toHaveLength(1);
  });
});

describe('billing.order.get', () => {
  it('settled once every video is captured or released, with the balance after it', async () => {
    const userId = uniqueUser();
    const orderId = randomUUID();
    expect(await requestRpc(nc, 'billing.order.get', { orderId })).toEqual({ orderId, found: false, settled: false, balance: 0 });
    await requestRpc(nc, 'billing.credits.grant', { grantId: randomUUID(), userId, amount: 7, grantedBy: 42 });
    const consumers = createConsumers({ sql, ledger: createLedger() });
    await consumers['orders.order.placed.v1'](placed(orderId, userId, 3, undefined, 2), ctx());
    await consumers['jobs.video.delivered.v1'](delivered(orderId, `${orderId}:0`), ctx());
    await consumers['jobs.video.failed.v1'](failed(orderId, `${orderId}:1`), ctx());
    expect(await requestRpc(nc, 'billing.order.get', { orderId })).toEqual({ orderId, found: true, settled: false, balance: 3 });
    await consumers['jobs.video.failed.v1'](failed(orderId, `${orderId}:2`), ctx());
    expect(await requestRpc(nc, 'billing.order.get', { orderId })).toEqual({ orderId, found: true, settled: true, balance: 5 });
  });
});

describe('billing.credits.grant', () => {
  it('grants once per grantId and emits billing.credits.granted.v1 through the outbox once', async () => {
    const userId = uniqueUser();
    const grantId = randomUUID();
    const req = { grantId, userId, amount: 10, grantedBy: 'welcome' };
    expect(await requestRpc(nc, 'billing.credits.grant', req)).toEqual({
      grantId,
      userId,
      balance: 10,
      applied: true,
    });
    expect(await requestRpc(nc, 'billing.credits.grant', req)).toEqual({
      grantId,
      userId,
      balance: 10,
      applied: false,
    });
    expect(await outboxFor(sql, grantId)).toEqual([
      expect.objectContaining({
        id: deterministicId('billing.credits.granted', grantId),
        type: 'billing.credits.granted.v1',
        data: { grantId, userId, amount: 10, balance: 10, grantedBy: 'welcome' },
      }),
    ]);
    expect(await requestRpc(nc, 'billing.balance.get', { userId })).toEqual({ userId, balance: 10, held: 0 });
  });

  it('refuses a grantId reused with another amount', async () => {
    const userId = uniqueUser();
    const grantId = randomUUID();
    await requestRpc(nc, 'billing.credits.grant', { grantId, userId, amount: 2, grantedBy: 1 });
    const err = await requestRpc(nc, 'billing.credits.grant', {
      grantId,
      userId,
      amount: 3,
      grantedBy: 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe('GRANT_CONFLICT');
    expect(await requestRpc(nc, 'billing.balance.get', { userId })).toEqual({ userId, balance: 2, held: 0 });
  });
});
