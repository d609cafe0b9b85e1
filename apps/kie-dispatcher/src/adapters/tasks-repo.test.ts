import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, transaction } from '@neurocards/platform';
import { createTestSchema } from '@neurocards/platform/testing';
import { createSubmitConsumer } from '../handlers/submit-consumer';
import { ctx, setupInfra, submitCommand } from '../../test/testing';
import { migrations, SCHEMA } from './migrations';
import {
  claimForSubmit,
  getTask,
  inFlightByKey,
  markCreateSent,
  markRunning,
  queueDepth,
  recoverLostSubmits,
  releaseClaim,
} from './tasks-repo';

let env: Awaited<ReturnType<typeof setupInfra>>;
beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());

const lease = 60_000;

describe('migration to the catalogue', () => {
  it('reads tasks sent before it as Sora 2; rows not sent yet go out as the default model', async () => {
    // The schema as it was before the catalogue (migrations 1–2).
    const db = await createTestSchema(SCHEMA, migrations.slice(0, 2));
    const { sql } = db;
    try {
      const photo = sql.json({ objectKey: 'p', mimeType: 'image/jpeg', sizeBytes: 1, fileUniqueId: 'u' });
      await sql`
        insert into tasks (job_id, order_id, submit_event_id, prompt, photo, aspect_ratio, n_frames, state, attempt, not_before, create_sent_at, task_id)
        values ('sent', 'o', 'e1', 'p', ${photo}, 'portrait', '15', 'running', 1, now(), now(), 't1'),
               ('waiting', 'o', 'e2', 'p', ${photo}, 'portrait', '10', 'queued', 1, now(), null, null)`;
      await migrate(sql, SCHEMA, migrations, env.log);
      expect(await getTask(sql, 'sent')).toMatchObject({
        model: 'sora-2-image-to-video',
        duration: 15,
        freeRetries: 0,
      });
      expect(await getTask(sql, 'waiting')).toMatchObject({ model: null, duration: null, nFrames: '10' });
    } finally {
      await db.close();
    }
  });
});

describe('tasks repo', () => {
  it('migrates once', async () => {
    await migrate(env.sql, SCHEMA, migrations, env.log);
    expect((await env.sql`select version from schema_migrations`).map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('queues a submit command once, however often it arrives', async () => {
    let woken = 0;
    const handler = createSubmitConsumer({
      sql: env.sql,
      defaultModel: 'kling-3.0/video',
      clock: Date.now,
      onQueued: () => woken++,
    });
    const cmd = submitCommand();
    await handler(cmd, ctx());
    await handler(cmd, ctx());
    await handler({ ...cmd, id: 'another-event-id-for-same-job' }, ctx());
    const rows = await env.sql`select state, attempt from tasks where job_id = ${cmd.data.jobId}`;
    expect(rows).toEqual([{ state: 'queued', attempt: 1 }]);
    expect(woken).toBe(1);
  });

  it('lets replicas claim disjoint rows, and only due ones', async () => {
    const t0 = new Date(Date.now() + 3_600_000); // later than anything other tests queued
    const handler = createSubmitConsumer({
      sql: env.sql,
      defaultModel: 'kling-3.0/video',
      clock: () => t0.getTime(),
    });
    const jobs = Array.from({ length: 10 }, () => submitCommand());
    for (const j of jobs) await handler(j, ctx());
    const [a, b] = await Promise.all([
      claimForSubmit(env.sql, { now: t0, limit: 6, leaseMs: lease }),
      claimForSubmit(env.sql, { now: t0, limit: 6, leaseMs: lease }),
    ]);
    const ids = [...a, ...b].map((r) => r.jobId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(10);
    expect(await claimForSubmit(env.sql, { now: t0, limit: 50, leaseMs: lease })).toEqual([]);
  });

  it('resumes a submission cut off before createTask, and never re-sends one cut off after', async () => {
    const t0 = Date.now() + 7_200_000;
    const handler = createSubmitConsumer({ sql: env.sql, defaultModel: 'kling-3.0/video', clock: () => t0 });
    const before = submitCommand();
    const after = submitCommand();
    await handler(before, ctx());
    await handler(after, ctx());
    const claimed = await claimForSubmit(env.sql, { now: new Date(t0), limit: 50, leaseMs: lease });
    expect(claimed.map((r) => r.jobId)).toEqual(
      expect.arrayContaining([before.data.jobId, after.data.jobId]),
    );
    expect(
      await markCreateSent(env.sql, {
        jobId: after.data.jobId,
        attempt: 1,
        keyName: 'k1',
        token: 'tok-after',
        now: new Date(t0),
        deadlineAt: new Date(t0 + 1_800_000),
      }),
    ).toBe(true);

    // The replica dies; the lease runs out.
    const later = new Date(t0 + lease + 1);
    expect(await recoverLostSubmits(env.sql, later)).toBeGreaterThanOrEqual(1);
    const again = await claimForSubmit(env.sql, { now: later, limit: 50, leaseMs: lease });
    expect(again.map((r) => r.jobId)).toContain(before.data.jobId);
    expect(again.map((r) => r.jobId)).not.toContain(after.data.jobId);
    const orphan = await getTask(env.sql, after.data.jobId);
    expect(orphan).toMatchObject({
      state: 'running',
      taskId: null,
      keyName: 'k1',
      callbackToken: 'tok-after',
    });
    expect((await inFlightByKey(env.sql)).get('k1')).toBeGreaterThanOrEqual(1);

    // The late createTask answer (or the callback) adopts the task once.
    const adopt = () =>
      transaction(env.sql, (tx) =>
        markRunning(tx, {
          jobId: after.data.jobId,
          attempt: 1,
          token: 'tok-after',
          taskId: 'task-1',
          now: later,
          nextPollAt: later,
        }),
      );
    expect(await adopt()).toBe(true);
    expect(await adopt()).toBe(false);
    expect((await getTask(env.sql, after.data.jobId))?.taskId).toBe('task-1');
  });

  it('returns a claim that found no key to the queue', async () => {
    const t0 = Date.now() + 10_800_000;
    const cmd = submitCommand();
    await createSubmitConsumer({ sql: env.sql, defaultModel: 'kling-3.0/video', clock: () => t0 })(
      cmd,
      ctx(),
    );
    const depth = await queueDepth(env.sql);
    await claimForSubmit(env.sql, { now: new Date(t0), limit: 50, leaseMs: lease });
    await releaseClaim(env.sql, cmd.data.jobId, 1, new Date(t0));
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({
      state: 'queued',
      attempt: 1,
      leaseUntil: null,
    });
    expect(await queueDepth(env.sql)).toBeGreaterThanOrEqual(1);
    expect(depth).toBeGreaterThanOrEqual(1);
  });
});
