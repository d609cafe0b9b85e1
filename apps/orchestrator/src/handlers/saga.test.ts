import { type EventOf } from '@neurocards/platform';
import { consumers, rpc } from '@neurocards/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers, ordersListHandler, statsHandler, sweepExpired, videoGetHandler } from './index';
import { jobIdOf } from './orders';
import { ctx, ev, jobsOf, newOrder, outboxOf, setupDatabase, testDeps, type OutboxRow } from '../../test/support';
import { transaction, type Sql } from '@neurocards/platform';
import * as store from '../adapters/store';

let db: Awaited<ReturnType<typeof setupDatabase>>;
let sql: Sql;
let h: ReturnType<typeof createHandlers>;

beforeAll(async () => {
  db = await setupDatabase();
  sql = db.sql;
  h = createHandlers(testDeps(sql));
});
afterAll(() => db?.close());

const count = async (orderId: string, subject: Parameters<typeof outboxOf>[2]) => (await outboxOf(sql, orderId, subject)).length;
const asEvent = <T>(row: OutboxRow) => row.payload as unknown as T;

/** Places and pays an order, then writes every prompt (template fallback: no OpenAI key). */
async function startOrder(n: 1 | 3 | 5 = 3, over: Parameters<typeof newOrder>[1] = {}) {
  const o = newOrder(n, over);
  await h['orders.order.placed.v1'](o.placed as never, ctx());
  await h['billing.credits.reserved.v1'](o.reserved as never, ctx());
  for (const row of await outboxOf(sql, o.orderId, 'jobs.prompt.requested.v1')) {
    await h['jobs.prompt.requested.v1'](asEvent<EventOf<'jobs.prompt.requested.v1'>>(row), ctx());
  }
  const jobIds = Array.from({ length: n }, (_, i) => jobIdOf(o.orderId, i + 1));
  return { ...o, jobIds };
}

const submitted = (orderId: string, jobId: string, attempt = 1) =>
  ev('kie.task.submitted.v1', { orderId, jobId, attempt, taskId: `task-${jobId}-${attempt}`, keyName: 'main' });
const succeeded = (orderId: string, jobId: string, attempt = 1) =>
  ev('kie.task.succeeded.v1', {
    orderId,
    jobId,
    attempt,
    taskId: `task-${jobId}-${attempt}`,
    videoUrls: [`https://tempfile.example/${jobId}.mp4`, 'https://tempfile.example/second.mp4'],
  });
const failed = (orderId: string, jobId: string, reason: 'user_violation' | 'exhausted' = 'exhausted') =>
  ev('kie.task.failed.v1', {
    orderId,
    jobId,
    attempt: 3,
    taskId: null,
    reason,
    lastErrorClass: reason === 'user_violation' ? 'user_violation' : 'transient',
    code: 500,
    message: 'generation failed',
  });
const sent = (orderId: string, jobId: string, messageId = 1, fileId?: string) =>
  ev('notify.video.sent.v1', { orderId, jobId, chatId: 111222333, messageId, ...(fileId ? { fileId } : {}) });
const undeliverable = (orderId: string, jobId: string) =>
  ev('notify.video.undeliverable.v1', { orderId, jobId, chatId: 111222333, reason: 'Forbidden: bot was blocked by the user' });

describe('handlers', () => {
  it('cover every consumer of the orchestrator in the topology (runtime.consume refuses a gap)', () => {
    expect(Object.keys(h).sort()).toEqual(consumers.orchestrator.map((c) => c.subject as string).sort());
  });
});

describe('order saga', () => {
  it('runs a 3-video order from reservation to exactly one completion', async () => {
    const o = await startOrder(3);
    const { orderId, jobIds } = o;

    const requests = await outboxOf(sql, orderId, 'jobs.prompt.requested.v1');
    expect(requests.map((r) => r.payload.data.index)).toEqual([1, 2, 3]);
    expect(requests.map((r) => r.payload.data.jobId)).toEqual(jobIds);

    const submits = await outboxOf(sql, orderId, 'kie.task.submit.v1');
    expect(submits).toHaveLength(3);
    for (const s of submits) {
      // The order's spec (the fixture's Kling 3.0, portrait, 5 s) goes to KIE with every video.
      expect(s.payload.data).toMatchObject({ orderId, model: 'kling-3.0/video', aspectRatio: 'portrait', duration: 5 });
      expect(s.payload.data).not.toHaveProperty('nFrames');
      expect((s.payload.data.prompt as string).length).toBeLessThanOrEqual(10_000);
    }
    expect(new Set(submits.map((s) => s.payload.data.prompt)).size).toBe(3);
    const ready = await outboxOf(sql, orderId, 'jobs.prompt.ready.v1');
    expect(ready.map((r) => r.payload.data.source)).toEqual(['template', 'template', 'template']);
    expect((await jobsOf(sql, orderId)).map((j) => j.state)).toEqual(['submitted', 'submitted', 'submitted']);

    for (const jobId of jobIds) await h['kie.task.submitted.v1'](submitted(orderId, jobId), ctx());
    expect(await count(orderId, 'jobs.generation.started.v1')).toBe(1);
    expect((await jobsOf(sql, orderId)).map((j) => j.state)).toEqual(['generating', 'generating', 'generating']);

    for (const jobId of jobIds) await h['kie.task.succeeded.v1'](succeeded(orderId, jobId), ctx());
    const videos = await outboxOf(sql, orderId, 'jobs.video.ready.v1');
    expect(videos.map((v) => v.payload.data.videoUrl)).toEqual(jobIds.map((j) => `https://tempfile.example/${j}.mp4`));
    expect(videos.map((v) => [v.payload.data.index, v.payload.data.count])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);

    for (const [i, jobId] of jobIds.entries()) {
      await h['notify.video.sent.v1'](sent(orderId, jobId, i + 10), ctx());
      expect(await count(orderId, 'jobs.order.completed.v1')).toBe(i === 2 ? 1 : 0);
    }
    expect(await count(orderId, 'jobs.video.delivered.v1')).toBe(3);
    const [done] = await outboxOf(sql, orderId, 'jobs.order.completed.v1');
    expect(done!.payload.data).toMatchObject({ orderId, count: 3, delivered: 3, failed: 0, chatId: 111222333 });
    expect((await jobsOf(sql, orderId)).map((j) => j.state)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it("passes each order's own model, orientation and length to KIE, and writes the prompt for that length", async () => {
    const o = await startOrder(1, { spec: { model: 'veo3_fast', aspectRatio: 'landscape', duration: 8 }, creditsPerVideo: 3 });
    const [submit] = await outboxOf(sql, o.orderId, 'kie.task.submit.v1');
    expect(submit!.payload.data).toMatchObject({ model: 'veo3_fast', aspectRatio: 'landscape', duration: 8 });
    expect(submit!.payload.data.prompt as string).toMatch(/8-second/);
    expect(await count(o.orderId, 'jobs.prompt.ready.v1')).toBe(1);
  });

  it('sends an order without a spec as portrait, leaving model and length to the dispatcher', async () => {
    const o = newOrder(1);
    const { spec: _spec, creditsPerVideo: _price, ...old } = o.placed.data;
    const placed = ev('orders.order.placed.v1', old);
    await h['orders.order.placed.v1'](placed as never, ctx());
    await h['billing.credits.reserved.v1'](ev('billing.credits.reserved.v1', { ...o.reserved.data, amount: 1 }) as never, ctx());
    for (const row of await outboxOf(sql, o.orderId, 'jobs.prompt.requested.v1')) {
      await h['jobs.prompt.requested.v1'](asEvent<EventOf<'jobs.prompt.requested.v1'>>(row), ctx());
    }
    const [submit] = await outboxOf(sql, o.orderId, 'kie.task.submit.v1');
    expect(submit!.payload.data).toMatchObject({ orderId: o.orderId, aspectRatio: 'portrait' });
    for (const field of ['model', 'duration', 'nFrames']) expect(submit!.payload.data).not.toHaveProperty(field);
  });

  it('creates nothing twice when events are redelivered or duplicated', async () => {
    const o = await startOrder(3);
    const { orderId, jobIds } = o;
    // Same event again (redelivery) and the same fact under a new event id (duplicate publish).
    await h['orders.order.placed.v1'](o.placed as never, ctx(2));
    await h['billing.credits.reserved.v1'](o.reserved as never, ctx(2));
    await h['billing.credits.reserved.v1'](ev('billing.credits.reserved.v1', o.reserved.data), ctx());
    for (const row of await outboxOf(sql, orderId, 'jobs.prompt.requested.v1')) {
      await h['jobs.prompt.requested.v1'](asEvent(row), ctx(2));
    }
    const j = jobIds[0]!;
    const sub = submitted(orderId, j);
    await h['kie.task.submitted.v1'](sub, ctx());
    await h['kie.task.submitted.v1'](sub, ctx(2));
    await h['kie.task.submitted.v1'](submitted(orderId, j), ctx());
    await h['kie.task.submitted.v1'](submitted(orderId, jobIds[1]!), ctx());
    const ok = succeeded(orderId, j);
    await h['kie.task.succeeded.v1'](ok, ctx());
    await h['kie.task.succeeded.v1'](ok, ctx(2));
    await h['kie.task.succeeded.v1'](succeeded(orderId, j), ctx());
    await h['notify.video.sent.v1'](sent(orderId, j), ctx());
    await h['notify.video.sent.v1'](sent(orderId, j), ctx());

    expect(await count(orderId, 'jobs.prompt.requested.v1')).toBe(3);
    expect(await count(orderId, 'kie.task.submit.v1')).toBe(3);
    expect(await count(orderId, 'jobs.prompt.ready.v1')).toBe(3);
    expect(await count(orderId, 'jobs.generation.started.v1')).toBe(1);
    expect(await count(orderId, 'jobs.video.ready.v1')).toBe(1);
    expect(await count(orderId, 'jobs.video.delivered.v1')).toBe(1);
    expect(await jobsOf(sql, orderId)).toHaveLength(3);
  });

  it('records a retry attempt while generating', async () => {
    const { orderId, jobIds } = await startOrder(1);
    const j = jobIds[0]!;
    await h['kie.task.submitted.v1'](submitted(orderId, j, 1), ctx());
    await h['kie.task.submitted.v1'](submitted(orderId, j, 2), ctx());
    await h['kie.task.submitted.v1'](submitted(orderId, j, 1), ctx());
    const [row] = await sql<{ attempt: number; task_id: string }[]>`select attempt, task_id from jobs where job_id = ${j}`;
    expect(row).toEqual({ attempt: 2, task_id: `task-${j}-2` });
    expect(await count(orderId, 'jobs.generation.started.v1')).toBe(1);
  });

  it('handles a success that overtakes its submission', async () => {
    const { orderId, jobIds } = await startOrder(1);
    const j = jobIds[0]!;
    await h['kie.task.succeeded.v1'](succeeded(orderId, j), ctx());
    expect((await jobsOf(sql, orderId))[0]!.state).toBe('ready');
    await h['kie.task.submitted.v1'](submitted(orderId, j), ctx());
    expect((await jobsOf(sql, orderId))[0]!.state).toBe('ready');
    expect(await count(orderId, 'jobs.video.ready.v1')).toBe(1);
    expect(await count(orderId, 'jobs.generation.started.v1')).toBe(1);
    // "Started" is committed before the video, so the seller reads them in that order.
    const subjects = (await outboxOf(sql, orderId)).map((r) => r.subject);
    expect(subjects.indexOf('jobs.generation.started.v1')).toBeLessThan(subjects.indexOf('jobs.video.ready.v1'));

    await h['notify.video.sent.v1'](sent(orderId, j), ctx());
    expect(await count(orderId, 'jobs.order.completed.v1')).toBe(1);
  });

  it('fails videos one by one and completes the order with the counts', async () => {
    const { orderId, jobIds } = await startOrder(3);
    const [a, b, c] = jobIds as [string, string, string];
    for (const j of jobIds) await h['kie.task.submitted.v1'](submitted(orderId, j), ctx());
    await h['kie.task.failed.v1'](failed(orderId, a, 'user_violation'), ctx());
    await h['kie.task.succeeded.v1'](succeeded(orderId, b), ctx());
    await h['notify.video.sent.v1'](sent(orderId, b), ctx());
    expect(await count(orderId, 'jobs.order.completed.v1')).toBe(0);
    await h['kie.task.failed.v1'](failed(orderId, c), ctx());

    const failures = await outboxOf(sql, orderId, 'jobs.video.failed.v1');
    expect(failures.map((f) => [f.payload.data.jobId, f.payload.data.reason])).toEqual([
      [a, 'user_violation'],
      [c, 'exhausted'],
    ]);
    expect(failures[0]!.payload.data).toMatchObject({ index: 1, count: 3, detail: 'generation failed' });
    const done = await outboxOf(sql, orderId, 'jobs.order.completed.v1');
    expect(done.map((d) => d.payload.data)).toEqual([
      expect.objectContaining({ delivered: 1, failed: 2, count: 3 }),
    ]);

    // A late success for a failed job changes nothing.
    await h['kie.task.succeeded.v1'](succeeded(orderId, a, 2), ctx());
    expect((await jobsOf(sql, orderId))[0]!.state).toBe('failed');
    expect(await count(orderId, 'jobs.video.ready.v1')).toBe(1);
    expect(await count(orderId, 'jobs.order.completed.v1')).toBe(1);
  });

  it('completes exactly once when the last two jobs finish at the same time', async () => {
    for (let round = 0; round < 8; round++) {
      const { orderId, jobIds } = await startOrder(3);
      const [a, b, c] = jobIds as [string, string, string];
      for (const j of [a, b]) await h['kie.task.succeeded.v1'](succeeded(orderId, j), ctx());
      await h['notify.video.sent.v1'](sent(orderId, a), ctx());
      // Without the order lock each would miss the other's uncommitted outcome and neither would complete.
      await Promise.all([
        h['notify.video.sent.v1'](sent(orderId, b), ctx()),
        h['kie.task.failed.v1'](failed(orderId, c), ctx()),
      ]);
      const done = await outboxOf(sql, orderId, 'jobs.order.completed.v1');
      expect(done).toHaveLength(1);
      expect(done[0]!.payload.data).toMatchObject({ delivered: 2, failed: 1 });
    }
  });

  it('ignores events for jobs it does not know', async () => {
    const { orderId } = newOrder(1);
    await h['kie.task.succeeded.v1'](succeeded(orderId, 'unknown-job-1'), ctx());
    expect(await outboxOf(sql, orderId)).toEqual([]);
  });
});

describe('placement and reservation', () => {
  it('waits for the placement when the reservation comes first', async () => {
    const o = newOrder(1);
    await expect(h['billing.credits.reserved.v1'](o.reserved as never, ctx())).rejects.toThrow(/not known yet/);
    expect(await jobsOf(sql, o.orderId)).toEqual([]);
    await h['orders.order.placed.v1'](o.placed as never, ctx());
    await h['billing.credits.reserved.v1'](o.reserved as never, ctx(2));
    expect(await count(o.orderId, 'jobs.prompt.requested.v1')).toBe(1);
  });

  it('records a rejected order and starts nothing for it', async () => {
    const o = newOrder(5);
    const rejected = ev('billing.credits.rejected.v1', {
      userId: 111222333,
      chatId: 111222333,
      locale: 'ru',
      orderId: o.orderId,
      requested: 5,
      balance: 2,
      reason: 'insufficient_credits',
    });
    // The rejection may even overtake the placement.
    await h['billing.credits.rejected.v1'](rejected, ctx());
    await h['orders.order.placed.v1'](o.placed as never, ctx());
    await h['billing.credits.rejected.v1'](rejected, ctx(2));
    const [row] = await sql<{ status: string }[]>`select status from orders where order_id = ${o.orderId}`;
    expect(row!.status).toBe('rejected');
    await h['billing.credits.reserved.v1'](o.reserved as never, ctx());
    expect(await jobsOf(sql, o.orderId)).toEqual([]);
    expect(await outboxOf(sql, o.orderId)).toEqual([]);
  });
});

describe('deadline sweeper', () => {
  const sweepDeps = () => ({ sql, log: testDeps(sql).log, generationDeadlineMs: 30 * 60_000 });
  const later = (minutes: number) => () => new Date(Date.now() + minutes * 60_000);

  it('expires jobs generating past KIE acceptance + 3 × deadline + 10 min and completes the order', async () => {
    const { orderId, jobIds } = await startOrder(3);
    const [a, b, c] = jobIds as [string, string, string];
    await h['kie.task.succeeded.v1'](succeeded(orderId, a), ctx());
    await h['notify.video.sent.v1'](sent(orderId, a), ctx());
    await h['kie.task.submitted.v1'](submitted(orderId, b), ctx());
    await h['kie.task.submitted.v1'](submitted(orderId, c), ctx());

    // Not yet: 99 minutes after KIE accepted them.
    await sweepExpired({ ...sweepDeps(), clock: later(99) });
    expect((await jobsOf(sql, orderId)).map((j) => j.state)).toEqual(['delivered', 'generating', 'generating']);

    const expired = await sweepExpired({ ...sweepDeps(), clock: later(101) });
    expect(expired).toBeGreaterThanOrEqual(2);
    const jobs = await jobsOf(sql, orderId);
    expect(jobs.map((j) => [j.state, j.failure_reason])).toEqual([
      ['delivered', null],
      ['failed', 'expired'],
      ['failed', 'expired'],
    ]);
    const failures = await outboxOf(sql, orderId, 'jobs.video.failed.v1');
    expect(failures.map((f) => f.payload.data.reason)).toEqual(['expired', 'expired']);
    const done = await outboxOf(sql, orderId, 'jobs.order.completed.v1');
    expect(done.map((d) => d.payload.data)).toEqual([expect.objectContaining({ delivered: 1, failed: 2 })]);

    // Idempotent: a second sweep and a late result change nothing.
    await sweepExpired({ ...sweepDeps(), clock: later(200) });
    await h['kie.task.succeeded.v1'](succeeded(orderId, b), ctx());
    expect(await count(orderId, 'jobs.video.failed.v1')).toBe(2);
    expect(await count(orderId, 'jobs.video.ready.v1')).toBe(1);
    expect(await count(orderId, 'jobs.order.completed.v1')).toBe(1);
  });

  it('never expires a video waiting in the dispatcher’s queue; the clock starts at KIE’s acceptance', async () => {
    const { orderId, jobIds } = await startOrder(1);
    const [a] = jobIds as [string];
    // Every key blocked for hours: the job stays `submitted` (queued for a key).
    await sweepExpired({ ...sweepDeps(), clock: later(600) });
    expect((await jobsOf(sql, orderId)).map((j) => j.state)).toEqual(['submitted']);
    expect(await count(orderId, 'jobs.video.failed.v1')).toBe(0);
    // KIE finally accepts it: the overall deadline counts from now.
    await h['kie.task.submitted.v1'](submitted(orderId, a), ctx());
    await sweepExpired({ ...sweepDeps(), clock: later(99) });
    expect((await jobsOf(sql, orderId)).map((j) => j.state)).toEqual(['generating']);
    await sweepExpired({ ...sweepDeps(), clock: later(101) });
    expect((await jobsOf(sql, orderId)).map((j) => [j.state, j.failure_reason])).toEqual([['failed', 'expired']]);
  });

  it('a video queued behind blocked keys is not expired, and is cancelled with a refund on request', async () => {
    const { orderId, jobIds } = await startOrder(3);
    const [a, b, c] = jobIds as [string, string, string];
    await h['kie.task.submitted.v1'](submitted(orderId, a), ctx());
    await sweepExpired({ ...sweepDeps(), clock: later(90) });
    expect((await jobsOf(sql, orderId)).map((j) => j.state)).toEqual(['generating', 'submitted', 'submitted']);
    // The seller cancels the queued ones: the dispatcher reports each as failed `cancelled`.
    for (const jobId of [b, c]) {
      const cancelled = ev('kie.task.failed.v1', {
        orderId,
        jobId,
        attempt: 1,
        taskId: null,
        reason: 'cancelled',
        lastErrorClass: null,
        code: null,
        message: 'cancelled by the seller while queued',
      });
      await h['kie.task.failed.v1'](cancelled, ctx());
      await h['kie.task.failed.v1'](cancelled, ctx(2));
    }
    expect((await jobsOf(sql, orderId)).map((j) => [j.state, j.failure_reason])).toEqual([
      ['generating', null],
      ['failed', 'cancelled'],
      ['failed', 'cancelled'],
    ]);
    // Billing refunds exactly these two (one jobs.video.failed each).
    const failures = await outboxOf(sql, orderId, 'jobs.video.failed.v1');
    expect(failures.map((f) => [f.payload.data.jobId, f.payload.data.reason])).toEqual([
      [b, 'cancelled'],
      [c, 'cancelled'],
    ]);
  });

  it('leaves a ready job alone: its video is delivered late or reported undeliverable', async () => {
    const { orderId, jobIds } = await startOrder(3);
    const [a, b, c] = jobIds as [string, string, string];
    await h['kie.task.succeeded.v1'](succeeded(orderId, a), ctx());
    await h['kie.task.submitted.v1'](submitted(orderId, b), ctx());
    await h['kie.task.submitted.v1'](submitted(orderId, c), ctx());

    await sweepExpired({ ...sweepDeps(), clock: later(101) });
    expect((await jobsOf(sql, orderId)).map((j) => [j.state, j.failure_reason])).toEqual([
      ['ready', null],
      ['failed', 'expired'],
      ['failed', 'expired'],
    ]);
    expect(await count(orderId, 'jobs.order.completed.v1')).toBe(0);

    // The sweeper no longer even selects the order: nothing left in it the deadline can end.
    const cutoff = new Date(Date.now() + 1000 * 60_000);
    const selected = await transaction(sql, async (tx) => ({
      orders: await store.lockOverdueOrders(tx, cutoff, 100_000),
      jobs: await store.overdueJobIds(tx, orderId, cutoff),
    }));
    expect(selected.orders).not.toContain(orderId);
    expect(selected.jobs).toEqual([]);
    await sweepExpired({ ...sweepDeps(), clock: later(100_000) });
    expect((await jobsOf(sql, orderId))[0]!.state).toBe('ready');
    expect(await count(orderId, 'jobs.video.failed.v1')).toBe(2);

    // The late video arrives: captured, not refunded, and the order completes once.
    await h['notify.video.sent.v1'](sent(orderId, a), ctx());
    expect((await jobsOf(sql, orderId))[0]!.state).toBe('delivered');
    expect(await count(orderId, 'jobs.video.delivered.v1')).toBe(1);
    const done = await outboxOf(sql, orderId, 'jobs.order.completed.v1');
    expect(done.map((d) => d.payload.data)).toEqual([expect.objectContaining({ delivered: 1, failed: 2 })]);
  });
});

describe('undeliverable video', () => {
  it('fails the ready job as undeliverable, once, and the order completes counting it as failed', async () => {
    const { orderId, jobIds } = await startOrder(3);
    const [a, b, c] = jobIds as [string, string, string];
    await h['kie.task.succeeded.v1'](succeeded(orderId, a), ctx());
    await h['notify.video.sent.v1'](sent(orderId, a), ctx());
    await h['kie.task.failed.v1'](failed(orderId, b), ctx());
    await h['kie.task.succeeded.v1'](succeeded(orderId, c), ctx());
    expect(await count(orderId, 'jobs.order.completed.v1')).toBe(0);

    await h['notify.video.undeliverable.v1'](undeliverable(orderId, c), ctx());
    const jobs = await jobsOf(sql, orderId);
    expect(jobs.map((j) => [j.state, j.failure_reason])).toEqual([
      ['delivered', null],
      ['failed', 'exhausted'],
      ['failed', 'undeliverable'],
    ]);
    const failures = (await outboxOf(sql, orderId, 'jobs.video.failed.v1')).filter((f) => f.payload.data.jobId === c);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.payload.data).toMatchObject({ reason: 'undeliverable', index: 3, count: 3, chatId: 111222333 });
    expect(failures[0]!.payload.data.detail).toContain('bot was blocked');
    const done = await outboxOf(sql, orderId, 'jobs.order.completed.v1');
    expect(done.map((d) => d.payload.data)).toEqual([expect.objectContaining({ delivered: 1, failed: 2, count: 3 })]);
    expect(await count(orderId, 'jobs.video.delivered.v1')).toBe(1);
  });

  it('changes nothing on a redelivered or re-published undeliverable event', async () => {
    const { orderId, jobIds } = await startOrder(1);
    const j = jobIds[0]!;
    await h['kie.task.succeeded.v1'](succeeded(orderId, j), ctx());
    const e = undeliverable(orderId, j);
    await h['notify.video.undeliverable.v1'](e, ctx());
    await h['notify.video.undeliverable.v1'](e, ctx(2));
    await h['notify.video.undeliverable.v1'](undeliverable(orderId, j), ctx());
    // A late "sent" cannot turn the refunded video into a captured one either.
    await h['notify.video.sent.v1'](sent(orderId, j), ctx());
    expect((await jobsOf(sql, orderId)).map((x) => [x.state, x.failure_reason])).toEqual([['failed', 'undeliverable']]);
    expect(await count(orderId, 'jobs.video.failed.v1')).toBe(1);
    expect(await count(orderId, 'jobs.video.delivered.v1')).toBe(0);
    expect(await count(orderId, 'jobs.order.completed.v1')).toBe(1);
  });

  it('is ignored for a delivered job', async () => {
    const { orderId, jobIds } = await startOrder(1);
    const j = jobIds[0]!;
    await h['kie.task.succeeded.v1'](succeeded(orderId, j), ctx());
    await h['notify.video.sent.v1'](sent(orderId, j), ctx());
    const before = await outboxOf(sql, orderId);
    await h['notify.video.undeliverable.v1'](undeliverable(orderId, j), ctx());
    expect((await jobsOf(sql, orderId)).map((x) => [x.state, x.failure_reason])).toEqual([['delivered', null]]);
    expect(await outboxOf(sql, orderId)).toEqual(before);
    expect(await count(orderId, 'jobs.video.failed.v1')).toBe(0);
  });

  it('is ignored for a job that has no video yet', async () => {
    const { orderId, jobIds } = await startOrder(1);
    const j = jobIds[0]!;
    await h['kie.task.submitted.v1'](submitted(orderId, j), ctx());
    await h['notify.video.undeliverable.v1'](undeliverable(orderId, j), ctx());
    expect((await jobsOf(sql, orderId)).map((x) => x.state)).toEqual(['generating']);
    expect(await count(orderId, 'jobs.video.failed.v1')).toBe(0);
  });
});

describe('orders list', () => {
  it("lists a seller's latest orders newest first, each video's state, failure reason and file_id; another's video is not found", async () => {
    const userId = 600_000_000 + Math.floor(Math.random() * 1_000_000);
    const list = ordersListHandler(sql);
    const video = videoGetHandler(sql);
    expect(await list({ userId, limit: 10 })).toEqual({ orders: [] });

    const first = await startOrder(1, { userId });
    await h['kie.task.succeeded.v1'](succeeded(first.orderId, first.jobIds[0]!), ctx());
    await h['notify.video.sent.v1'](sent(first.orderId, first.jobIds[0]!, 7, 'BAADfile-1'), ctx());
    const second = await startOrder(3, { userId, template: 'ad' });
    const [a, b, c] = second.jobIds as [string, string, string];
    await h['kie.task.submitted.v1'](submitted(second.orderId, a), ctx());
    await h['kie.task.failed.v1'](failed(second.orderId, b, 'user_violation'), ctx());
    await h['kie.task.succeeded.v1'](succeeded(second.orderId, c), ctx());
    await h['notify.video.sent.v1'](sent(second.orderId, c, 8, 'BAADfile-3'), ctx());

    const got = await list({ userId, limit: 10 });
    expect(rpc['orchestrator.orders.list'].response.safeParse(got).success).toBe(true);
    expect(got.orders.map((o) => o.orderId)).toEqual([second.orderId, first.orderId]);
    expect(got.orders[0]).toMatchObject({ template: 'ad', model: 'kling-3.0/video', count: 3, status: 'active' });
    expect(got.orders[0]!.jobs).toEqual([
      { jobId: a, index: 1, state: 'generating', failureReason: null, fileId: null },
      { jobId: b, index: 2, state: 'failed', failureReason: 'user_violation', fileId: null },
      { jobId: c, index: 3, state: 'delivered', failureReason: null, fileId: 'BAADfile-3' },
    ]);
    expect(got.orders[1]).toMatchObject({ status: 'completed', jobs: [expect.objectContaining({ state: 'delivered', fileId: 'BAADfile-1' })] });
    expect((await list({ userId, limit: 1 })).orders.map((o) => o.orderId)).toEqual([second.orderId]);

    expect(await video({ userId, jobId: c })).toEqual({ found: true, fileId: 'BAADfile-3' });
    expect(await video({ userId, jobId: b })).toEqual({ found: true, fileId: null });
    expect(await video({ userId: userId + 1, jobId: c })).toEqual({ found: false, fileId: null });
  });
});

describe('stats', () => {
  it('counts orders today, jobs in flight and failures by reason', async () => {
    const stats = statsHandler(sql);
    const before = await stats({});
    expect(rpc['orchestrator.stats.get'].response.safeParse(before).success).toBe(true);

    const { orderId, jobIds } = await startOrder(3);
    await h['kie.task.failed.v1'](failed(orderId, jobIds[0]!, 'user_violation'), ctx());
    const after = await stats({});
    expect(after.ordersToday).toBe(before.ordersToday + 1);
    expect(after.jobsInFlight).toBe(before.jobsInFlight + 2);
    expect(after.failedTodayByReason.user_violation ?? 0).toBe((before.failedTodayByReason.user_violation ?? 0) + 1);

    await h['kie.task.succeeded.v1'](succeeded(orderId, jobIds[1]!), ctx());
    await h['notify.video.undeliverable.v1'](undeliverable(orderId, jobIds[1]!), ctx());
    const undelivered = await stats({});
    expect(rpc['orchestrator.stats.get'].response.safeParse(undelivered).success).toBe(true);
    expect(undelivered.failedTodayByReason.undeliverable ?? 0).toBe((before.failedTodayByReason.undeliverable ?? 0) + 1);
    expect(undelivered.jobsInFlight).toBe(before.jobsInFlight + 1);

    // Tomorrow (Moscow) the day's counters start again; jobs in flight do not.
    const tomorrow = await statsHandler(sql, () => new Date(Date.now() + 86_400_000))({});
    expect(tomorrow).toMatchObject({ ordersToday: 0, failedTodayByReason: {}, jobsInFlight: undelivered.jobsInFlight });
  });
});
