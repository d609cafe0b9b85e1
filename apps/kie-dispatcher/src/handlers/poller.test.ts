import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startKieSim, type KieSim } from '@neurocards/sandbox';
import { createKieClient, type KieClient } from '../adapters/kie-client';
import { getTask } from '../adapters/tasks-repo';
import { insertRunning, manualClock, outboxFor, setupInfra, testConfig } from '../../test/testing';

let env: Awaited<ReturnType<typeof setupInfra>>;
let sim: KieSim;
beforeAll(async () => {
  env = await setupInfra();
  // The simulator knows `sk-good` only: any call with `sk-revoked` answers 401.
  sim = await startKieSim({ keys: ['sk-good'] });
});
afterAll(async () => {
  await sim.close();
  await env.close();
});

const KEYS = [
  { name: 'revoked', secret: 'sk-revoked' },
  { name: 'good', secret: 'sk-good' },
];

/** recordInfo calls per secret, as this process sent them (the sim does not count refused keys). */
const sentPolls = new Map<string, number>();
const polls = (secret: string) => sentPolls.get(secret) ?? 0;
function counting(): KieClient {
  const kie = createKieClient({ baseUrl: sim.baseUrl, uploadBaseUrl: sim.uploadBaseUrl });
  return {
    ...kie,
    recordInfo(secret, taskId, signal) {
      sentPolls.set(secret, polls(secret) + 1);
      return kie.recordInfo(secret, taskId, signal);
    },
  };
}

function replica(clock: ReturnType<typeof manualClock>, keyPrefix: string, pollsPerSecondPerKey?: number) {
  return env.dispatcher({
    clock: clock.now,
    keyPrefix,
    kie: counting(),
    ...(pollsPerSecondPerKey ? { pollsPerSecondPerKey } : {}),
    config: testConfig({
      KIE_BASE_URL: sim.baseUrl,
      KIE_UPLOAD_BASE_URL: sim.uploadBaseUrl,
      KIE_API_KEYS: KEYS,
    }),
  });
}

describe('poller', () => {
  it('an account error on recordInfo blocks the key once and stops polling with it', async () => {
    const clock = manualClock();
    const d = replica(clock, `${env.keyPrefix}acct.`);
    const cmd = await insertRunning(env.sql, {
      keyName: 'revoked',
      taskId: 'task-on-revoked',
      token: randomUUID(),
      now: clock.now(),
    });
    await d.poller.tick();
    expect(polls('sk-revoked')).toBe(1);
    // 401 revokes that key only: the block is the key's own, inside its account's entry.
    const [revoked] = await d.pool.snapshot();
    expect(revoked!.state.keys.revoked).toMatchObject({ blockedCode: 401 });
    expect(revoked!.state.keys.revoked!.blockedUntil).toBeGreaterThan(clock.now());
    // The task keeps running: a callback or the deadline ends it.
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({ state: 'running', attempt: 1 });
    for (let i = 0; i < 5; i++) {
      clock.advance(5 * 60_000);
      await d.poller.tick();
    }
    expect(polls('sk-revoked')).toBe(1);
    const alerts = await env.sql<{ payload: { data: { keyName: string; code: number } } }[]>`
      select payload from outbox where subject = 'kie.key.blocked.v1'`;
    expect(alerts.map((a) => a.payload.data)).toMatchObject([{ keyName: 'revoked', code: 401 }]);
    expect(await outboxFor(env.sql, cmd.data.orderId)).toEqual([]);
    // The deadline still applies (30 min passed above: 25 min of polls + 5 more).
    clock.advance(5 * 60_000 + 1);
    await d.poller.tick();
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({ state: 'queued', attempt: 2 });
  });

  it('shares the per-key poll budget between replicas', async () => {
    const clock = manualClock();
    const prefix = `${env.keyPrefix}budget.`;
    const [a, b] = [replica(clock, prefix, 5), replica(clock, prefix, 5)];
    for (let i = 0; i < 12; i++)
      await insertRunning(env.sql, {
        keyName: 'good',
        taskId: `t-${randomUUID()}`,
        token: randomUUID(),
        now: clock.now(),
      });
    const before = polls('sk-good');
    // The clock stands still: no token refills, so both together get one second's budget.
    await a!.poller.tick();
    await env.sql`update tasks set next_poll_at = ${new Date(clock.now())} where state = 'running' and key_name = 'good'`;
    await b!.poller.tick();
    expect(polls('sk-good') - before).toBe(5);
  });
});
