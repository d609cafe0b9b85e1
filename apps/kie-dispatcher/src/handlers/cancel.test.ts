import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, deterministicId } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import { getTask } from '../adapters/tasks-repo';
import {
  ctx,
  insertRunning,
  manualClock,
  outboxFor,
  setupInfra,
  submitCommand,
  successBody,
} from '../../test/testing';

let env: Awaited<ReturnType<typeof setupInfra>>;
const clock = manualClock();
beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());

function build() {
  // KIE is unreachable here: any call it made would fail the job, which the tests would see.
  const d = env.dispatcher({ clock: clock.now });
  const app = Fastify();
  d.registerRoutes(app);
  return { d, app };
}

const videoFailed = (jobId: string, orderId: string) =>
  createEvent({
    subject: 'jobs.video.failed.v1',
    data: { ...validFixtures['jobs.video.failed.v1'], jobId, orderId, reason: 'expired' },
    correlationId: orderId,
  });

describe('jobs.video.failed.v1 cancels the job’s KIE work', () => {
  it('cancels a queued job: the submission loop never takes it', async () => {
    const { d } = build();
    const cmd = submitCommand();
    await d.handlers['kie.task.submit.v1'](cmd, ctx());
    const failed = videoFailed(cmd.data.jobId, cmd.data.orderId);
    await d.handlers['jobs.video.failed.v1'](failed, ctx('jobs.video.failed.v1'));
    await d.handlers['jobs.video.failed.v1'](failed, ctx('jobs.video.failed.v1'));
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({ state: 'cancelled', attempt: 1 });
    await d.submitter.tick();
    await d.submitter.idle();
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({
      state: 'cancelled',
      attempt: 1,
      keyName: null,
    });
    expect(await outboxFor(env.sql, cmd.data.orderId)).toEqual([]);
    expect((await d.stats()).queueDepth).toBe(0);
  });

  it('cancels a running job: a later callback or poll changes nothing', async () => {
    const { d, app } = build();
    const token = randomUUID();
    const cmd = await insertRunning(env.sql, { keyName: 'k1', taskId: 'task-cx', token, now: clock.now() });
    await d.handlers['jobs.video.failed.v1'](
      videoFailed(cmd.data.jobId, cmd.data.orderId),
      ctx('jobs.video.failed.v1'),
    );
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({ state: 'cancelled' });
    const res = await app.inject({
      method: 'POST',
      url: `/kie/callback/${token}`,
      payload: successBody('task-cx'),
    });
    expect(res.statusCode).toBe(200);
    clock.advance(31 * 60_000);
    await d.poller.tick();
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({
      state: 'cancelled',
      outcome: 'cancelled',
    });
    expect(await outboxFor(env.sql, cmd.data.orderId)).toEqual([]);
    expect((await d.stats()).keys.find((k) => k.name === 'k1')?.inFlight ?? 0).toBe(0);
  });

  it('leaves a job that already ended as it is', async () => {
    const { d, app } = build();
    const token = randomUUID();
    const cmd = await insertRunning(env.sql, { keyName: 'k1', taskId: 'task-done', token, now: clock.now() });
    await app.inject({ method: 'POST', url: `/kie/callback/${token}`, payload: successBody('task-done') });
    await d.handlers['jobs.video.failed.v1'](
      videoFailed(cmd.data.jobId, cmd.data.orderId),
      ctx('jobs.video.failed.v1'),
    );
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({ state: 'succeeded' });
    const events = await outboxFor(env.sql, cmd.data.orderId);
    expect(events.map((e) => e.id)).toEqual([deterministicId('kie.task.succeeded.v1', cmd.data.jobId)]);
  });

  it('a submit command arriving after the cancel is not queued', async () => {
    const { d } = build();
    const cmd = submitCommand();
    await d.handlers['jobs.video.failed.v1'](
      videoFailed(cmd.data.jobId, cmd.data.orderId),
      ctx('jobs.video.failed.v1'),
    );
    await d.handlers['kie.task.submit.v1'](cmd, ctx());
    expect((await getTask(env.sql, cmd.data.jobId))?.state ?? 'none').not.toBe('queued');
  });
});
