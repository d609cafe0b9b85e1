import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '@neurocards/contracts';
import { claimForSubmit, getTask, markCreateSent } from '../adapters/tasks-repo';
import { createQueueCancelConsumer } from './queue-cancel-consumer';
import { createSubmitConsumer } from './submit-consumer';
import { ctx, outboxFor, setupInfra, submitCommand } from '../../test/testing';

let env: Awaited<ReturnType<typeof setupInfra>>;
beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());

const cancelCmd = (orderId: string, userId: number) =>
  createEvent({ subject: 'kie.queue.cancel.v1', data: { orderId, userId }, correlationId: orderId }) as never;

describe('kie.queue.cancel.v1', () => {
  it('cancels only the order’s videos not yet sent to KIE, once, and only for its seller', async () => {
    const now = Date.now() + 7_200_000;
    const seller = 9_000_000 + Math.floor(Math.random() * 1e6);
    const orderId = crypto.randomUUID();
    const queue = createSubmitConsumer({ sql: env.sql, defaultModel: 'kling-3.0/video', clock: () => now });
    const cmds = [1, 2, 3, 4].map((index) => submitCommand({ orderId, seller, index }));
    for (const c of cmds) await queue(c, ctx());
    // Video 1 is at KIE (createTask sent); video 2 is claimed by a replica mid-upload;
    // videos 3 and 4 wait in the queue (e.g. behind blocked keys).
    const claimed = await claimForSubmit(env.sql, { now: new Date(now), limit: 2, leaseMs: 60_000 });
    expect(claimed.map((r) => r.index).sort()).toEqual([1, 2]);
    const first = claimed.find((r) => r.index === 1)!;
    await markCreateSent(env.sql, {
      jobId: first.jobId,
      attempt: 1,
      keyName: 'k1',
      token: `tok-${first.jobId}`,
      now: new Date(now),
      deadlineAt: new Date(now + 60_000),
    });
    const cancel = createQueueCancelConsumer({ sql: env.sql, clock: () => now });

    // Someone else's request changes nothing.
    await cancel(cancelCmd(orderId, seller + 1), ctx());
    expect((await getTask(env.sql, cmds[3]!.data.jobId))!.state).toBe('queued');

    await cancel(cancelCmd(orderId, seller), ctx());
    await cancel(cancelCmd(orderId, seller), ctx()); // redelivered
    const states = await Promise.all(cmds.map(async (c) => (await getTask(env.sql, c.data.jobId))!.state));
    expect(states).toEqual(['submitting', 'cancelled', 'cancelled', 'cancelled']);
    const failed = (await outboxFor(env.sql, orderId)).filter((e) => e.type === 'kie.task.failed.v1');
    expect(failed.map((e) => (e.data as { jobId: string }).jobId).sort()).toEqual(
      cmds.slice(1).map((c) => c.data.jobId).sort(),
    );
    expect(failed.every((e) => (e.data as { reason: string }).reason === 'cancelled')).toBe(true);

    // The replica holding video 2 cannot send it any more.
    const second = claimed.find((r) => r.index === 2)!;
    const sent = await markCreateSent(env.sql, {
      jobId: second.jobId,
      attempt: 1,
      keyName: 'k1',
      token: `tok-${second.jobId}`,
      now: new Date(now),
      deadlineAt: new Date(now + 60_000),
    });
    expect(sent).toBe(false);
    // A late submit command for a cancelled video is not queued again.
    await queue({ ...cmds[2]!, id: 'late-duplicate-submit' }, ctx());
    expect((await getTask(env.sql, cmds[2]!.data.jobId))!.state).toBe('cancelled');
    // Video 5's prompt was still being written: it is cancelled as its command arrives.
    const fifth = submitCommand({ orderId, seller, index: 5 });
    await queue(fifth, ctx());
    expect((await getTask(env.sql, fifth.data.jobId))!.state).toBe('cancelled');
    const all = (await outboxFor(env.sql, orderId)).filter((e) => e.type === 'kie.task.failed.v1');
    expect(all).toHaveLength(4);
    // Video 1 was at KIE when the seller cancelled; KIE refuses it for the rate (429) and it
    // comes back to the queue: it is cancelled then, not retried.
    const dispatcher = env.dispatcher({ clock: () => now });
    await dispatcher.outcomes.fail(
      { jobId: first.jobId, attempt: 1, taskId: null, keyName: 'k1', states: ['submitting', 'running'] },
      { kind: 'http', status: 429, code: 429, message: 'rate limited' },
    );
    expect((await getTask(env.sql, first.jobId))!.state).toBe('cancelled');
    const end = (await outboxFor(env.sql, orderId)).filter((e) => e.type === 'kie.task.failed.v1');
    expect(end).toHaveLength(5);
    expect(new Set(end.map((e) => (e.data as { jobId: string }).jobId)).size).toBe(5);
  });
});
