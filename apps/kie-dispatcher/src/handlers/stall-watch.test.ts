import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimForSubmit, markCreateSent } from '../adapters/tasks-repo';
import { watchStall } from './stall-watch';
import { createSubmitConsumer } from './submit-consumer';
import { ctx, setupInfra, submitCommand } from '../../test/testing';

let env: Awaited<ReturnType<typeof setupInfra>>;
beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());

const min = 60_000;

describe('the stall watch', () => {
  it('alerts once when nothing is submitted for 5 minutes while videos wait, and once on recovery', async () => {
    const t0 = Date.parse('2026-12-01T18:00:00Z');
    const queue = createSubmitConsumer({ sql: env.sql, defaultModel: 'kling-3.0/video', clock: () => t0 });
    for (let i = 0; i < 3; i++) await queue(submitCommand(), ctx());
    const at = (t: number) => watchStall({ sql: env.sql, clock: () => t, afterMs: 5 * min, log: env.log });
    const events = async () =>
      (await env.sql`select subject, payload from outbox where subject like 'kie.queue.%' order by seq`).map(
        (r) => [r.subject as string, (r.payload as { data: { since: string; waiting: number } }).data],
      );

    expect(await at(t0 + 4 * min)).toBe('none');
    // Two replicas look at once: one episode, one alert.
    expect((await Promise.all([at(t0 + 6 * min), at(t0 + 6 * min)])).sort()).toEqual(['none', 'stall']);
    expect(await at(t0 + 20 * min)).toBe('none');
    expect(await events()).toEqual([['kie.queue.stalled.v1', { since: new Date(t0).toISOString(), waiting: 3 }]]);

    // A key is back: something goes out, and the recovery is announced once.
    const [row] = await claimForSubmit(env.sql, { now: new Date(t0 + 21 * min), limit: 1, leaseMs: min });
    await markCreateSent(env.sql, {
      jobId: row!.jobId,
      attempt: 1,
      keyName: 'k1',
      token: 'tok-stall',
      now: new Date(t0 + 21 * min),
      deadlineAt: new Date(t0 + 51 * min),
    });
    expect(await at(t0 + 22 * min)).toBe('recover');
    expect(await at(t0 + 23 * min)).toBe('none');
    expect((await events()).map(([s]) => s)).toEqual(['kie.queue.stalled.v1', 'kie.queue.recovered.v1']);
  });
});
