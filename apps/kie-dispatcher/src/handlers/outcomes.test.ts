import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicId, type Envelope } from '@neurocards/contracts';
import { BILLING_BLOCK_MS } from '../domain/backoff';
import { insertRunning, manualClock, setupInfra } from '../../test/testing';

let env: Awaited<ReturnType<typeof setupInfra>>;
beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());

const alerts = async () =>
  (
    await env.sql<{ payload: Envelope }[]>`select payload from outbox where subject = 'kie.key.blocked.v1'`
  ).map((r) => r.payload);

describe('billing outcomes', () => {
  it('alerts the admins even when an earlier try blocked the key but did not commit its alert', async () => {
    const clock = manualClock();
    const d = env.dispatcher({ clock: clock.now });
    const cmd = await insertRunning(env.sql, {
      keyName: 'k1',
      taskId: 'task-402',
      token: randomUUID(),
      now: clock.now(),
    });
    // An earlier try wrote the block to KV, then its transaction failed (crash, lost connection).
    const until = clock.now() + BILLING_BLOCK_MS;
    await d.pool.block('k1', clock.now(), until, 402, 'Credits insufficient');
    clock.advance(1000);
    const ref = {
      jobId: cmd.data.jobId,
      attempt: 1,
      taskId: 'task-402',
      keyName: 'k1',
      states: ['running'] as const,
    };
    const failure = { kind: 'http' as const, status: 402, code: 402, message: 'Credits insufficient' };
    expect(await d.outcomes.fail(ref, failure)).toBe(true);
    // A repeat (redelivery, another in-flight call on the key) does not alert twice.
    expect(await d.outcomes.fail(ref, failure)).toBe(false);
    const sent = await alerts();
    expect(sent).toHaveLength(1);
    // 402 empties the account: the alert is the account's (k1 is its own account here).
    expect(sent[0]!.id).toBe(deterministicId('kie.key.blocked.v1', 'account:k1', until));
    expect(sent[0]!.data).toMatchObject({
      keyName: 'k1',
      account: 'k1',
      scope: 'account',
      code: 402,
      until: new Date(until).toISOString(),
    });
  });
});
