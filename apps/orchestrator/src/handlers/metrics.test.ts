import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSample } from '@neurocards/platform/testing';
import type { EventOf, Sql } from '@neurocards/platform';
import { createSagaMetrics } from '../adapters/metrics';
import { ctx, ev, newOrder, outboxOf, setupDatabase, testDeps } from '../../test/support';
import { createHandlers, sweepExpired } from './index';
import { jobIdOf } from './orders';

let db: Awaited<ReturnType<typeof setupDatabase>>;
let sql: Sql;

beforeAll(async () => {
  db = await setupDatabase();
  sql = db.sql;
});
afterAll(() => db?.close());

/** Handlers with their own registry, so each test reads only its own counts. */
function saga() {
  const registry = new Registry();
  const metrics = createSagaMetrics(registry);
  const h = createHandlers(testDeps(sql, { metrics }));
  const read = async (name: string, labels: Record<string, string> = {}) =>
    metricSample(await registry.metrics(), name, labels) ?? 0;
  return { h, metrics, read };
}

async function startOrder(h: ReturnType<typeof createHandlers>, n: 1 | 3) {
  const o = newOrder(n);
  await h['orders.order.placed.v1'](o.placed as never, ctx());
  await h['billing.credits.reserved.v1'](o.reserved as never, ctx());
  for (const row of await outboxOf(sql, o.orderId, 'jobs.prompt.requested.v1'))
    await h['jobs.prompt.requested.v1'](row.payload as unknown as EventOf<'jobs.prompt.requested.v1'>, ctx());
  return { orderId: o.orderId, jobIds: Array.from({ length: n }, (_, i) => jobIdOf(o.orderId, i + 1)) };
}

const succeeded = (orderId: string, jobId: string) =>
  ev('kie.task.succeeded.v1', { orderId, jobId, attempt: 1, taskId: `task-${jobId}`, videoUrls: [`https://tempfile.example/${jobId}.mp4`] });
const sent = (orderId: string, jobId: string) => ev('notify.video.sent.v1', { orderId, jobId, chatId: 111222333, messageId: 7 });
const failed = (orderId: string, jobId: string, reason: 'exhausted' | 'cancelled') =>
  ev('kie.task.failed.v1', {
    orderId,
    jobId,
    attempt: 1,
    taskId: null,
    reason,
    lastErrorClass: 'transient',
    code: 500,
    message: 'generation failed',
  });

describe('saga metrics', () => {
  it('count each video and the order once, with the first video\'s wait, however often the finishing events come', async () => {
    const { h, read } = saga();
    const { orderId, jobIds } = await startOrder(h, 3);
    for (const jobId of jobIds.slice(0, 2)) await h['kie.task.succeeded.v1'](succeeded(orderId, jobId), ctx());
    const third = failed(orderId, jobIds[2]!, 'exhausted');
    await h['kie.task.failed.v1'](third, ctx());
    await h['kie.task.failed.v1'](third, ctx(2));

    const first = sent(orderId, jobIds[0]!);
    await h['notify.video.sent.v1'](first, ctx());
    // The same message redelivered, and another event for a job already delivered.
    await h['notify.video.sent.v1'](first, ctx(2));
    await h['notify.video.sent.v1'](sent(orderId, jobIds[0]!), ctx());
    expect(await read('neurocards_videos_total', { outcome: 'delivered', class: 'none' })).toBe(1);
    expect(await read('neurocards_first_video_wait_seconds_count')).toBe(1);
    expect(await read('neurocards_orders_total', { outcome: 'partial' })).toBe(0);

    const last = sent(orderId, jobIds[1]!);
    await h['notify.video.sent.v1'](last, ctx());
    await h['notify.video.sent.v1'](last, ctx(2));
    // A late failure for the delivered job changes nothing.
    await h['kie.task.failed.v1'](failed(orderId, jobIds[1]!, 'exhausted'), ctx());

    expect(await read('neurocards_videos_total', { outcome: 'delivered', class: 'none' })).toBe(2);
    expect(await read('neurocards_videos_total', { outcome: 'failed', class: 'transient' })).toBe(1);
    // The second delivery is not the first video.
    expect(await read('neurocards_first_video_wait_seconds_count')).toBe(1);
    expect(await read('neurocards_orders_total', { outcome: 'partial' })).toBe(1);
    expect(await read('neurocards_orders_total', { outcome: 'completed' })).toBe(0);
  });

  it('count an order whose every video the seller cancelled as cancelled, and one with every video as completed', async () => {
    const { h, read } = saga();
    const cancelled = await startOrder(h, 1);
    await h['kie.task.failed.v1'](failed(cancelled.orderId, cancelled.jobIds[0]!, 'cancelled'), ctx());
    const done = await startOrder(h, 1);
    await h['kie.task.succeeded.v1'](succeeded(done.orderId, done.jobIds[0]!), ctx());
    await h['notify.video.sent.v1'](sent(done.orderId, done.jobIds[0]!), ctx());

    expect(await read('neurocards_orders_total', { outcome: 'cancelled' })).toBe(1);
    expect(await read('neurocards_orders_total', { outcome: 'completed' })).toBe(1);
    expect(await read('neurocards_videos_total', { outcome: 'failed', class: 'cancelled' })).toBe(1);
  });

  it('count nothing when the step\'s transaction rolls back', async () => {
    const { h, read } = saga();
    const { orderId, jobIds } = await startOrder(h, 1);
    await h['kie.task.succeeded.v1'](succeeded(orderId, jobIds[0]!), ctx());
    // The delivery's transaction fails after the state change (the outbox refuses the row).
    await sql`alter table outbox add constraint metrics_test_refuse check (subject <> 'jobs.video.delivered.v1') not valid`;
    try {
      await expect(h['notify.video.sent.v1'](sent(orderId, jobIds[0]!), ctx())).rejects.toThrow();
    } finally {
      await sql`alter table outbox drop constraint metrics_test_refuse`;
    }
    expect(await read('neurocards_videos_total', { outcome: 'delivered', class: 'none' })).toBe(0);
    expect(await read('neurocards_orders_total', { outcome: 'completed' })).toBe(0);
    // Redelivered, it commits and counts once.
    await h['notify.video.sent.v1'](sent(orderId, jobIds[0]!), ctx(2));
    expect(await read('neurocards_videos_total', { outcome: 'delivered', class: 'none' })).toBe(1);
    expect(await read('neurocards_orders_total', { outcome: 'completed' })).toBe(1);
  });

  it('count the videos the deadline sweeper expires as timeouts', async () => {
    const { h, metrics, read } = saga();
    const { orderId, jobIds } = await startOrder(h, 1);
    const jobId = jobIds[0]!;
    await h['kie.task.submitted.v1'](ev('kie.task.submitted.v1', { orderId, jobId, attempt: 1, taskId: 't', keyName: 'main' }), ctx());
    await sql`update jobs set submitted_at = now() - interval '10 hours' where order_id = ${orderId}`;
    await sweepExpired({ sql, log: testDeps(sql).log, generationDeadlineMs: 60_000, metrics });
    // Other tests' orders in this database are young: only this one expires.
    expect(await read('neurocards_videos_total', { outcome: 'failed', class: 'timeout' })).toBe(1);
    expect(await read('neurocards_orders_total', { outcome: 'failed' })).toBe(1);
  });
});
