import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction, type Sql } from '@neurocards/platform';
import { metricSample } from '@neurocards/platform/testing';
import { createLedger, grant } from '../adapters/ledger';
import { createBillingMetrics, registerLedgerMetrics } from '../adapters/metrics';
import { ctx, delivered, failed, nextUserId, placed, setupBillingDb } from '../../test/support';
import { createConsumers } from './consumers';

let env: Awaited<ReturnType<typeof setupBillingDb>>;
let sql: Sql;

beforeAll(async () => {
  env = await setupBillingDb();
  sql = env.sql;
});
afterAll(() => env.close());

describe('billing metrics', () => {
  it('count a refund once, with its credits and class, however often its event comes, and report the ledger totals', async () => {
    const registry = new Registry();
    const h = createConsumers({ sql, ledger: createLedger(), metrics: createBillingMetrics(registry) });
    registerLedgerMetrics({ registry, sql, log: env.log, maxAgeMs: 0 });
    const read = async (name: string, labels: Record<string, string>) => metricSample(await registry.metrics(), name, labels);

    const userId = nextUserId();
    const orderId = randomUUID();
    await transaction(sql, (tx) => grant(tx, { grantId: randomUUID(), userId, amount: 10, grantedBy: 'test' }));
    await h['orders.order.placed.v1'](placed(orderId, userId, 3), ctx());
    await h['jobs.video.delivered.v1'](delivered(orderId, `${orderId}-1`), ctx());
    const refund = failed(orderId, `${orderId}-2`, 'user_violation');
    await h['jobs.video.failed.v1'](refund, ctx());
    // The same message redelivered, and another event failing the same job.
    await h['jobs.video.failed.v1'](refund, ctx());
    await h['jobs.video.failed.v1'](failed(orderId, `${orderId}-2`, 'user_violation'), ctx());

    expect(await read('neurocards_refunds_total', { class: 'content' })).toBe(1);
    expect(await read('neurocards_refunded_credits_total', { class: 'content' })).toBe(1);
    expect(await read('neurocards_ledger_credits', { kind: 'granted' })).toBe(10);
    expect(await read('neurocards_ledger_credits', { kind: 'captured' })).toBe(1);
    expect(await read('neurocards_ledger_credits', { kind: 'held' })).toBe(1);
    expect(await read('neurocards_ledger_credits', { kind: 'refunded' })).toBe(1);
    expect(await read('neurocards_ledger_credits', { kind: 'balance' })).toBe(8);
    expect(await read('neurocards_ledger_credits', { kind: 'purchased' })).toBe(0);
  });
});
