import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { metricSample } from '@neurocards/platform/testing';
import { outcome, startWorld, type World } from '../test/flow-world';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

const KEYS = [
  { name: 'a1', secret: 'sk-a1', account: 'acctA' },
  { name: 'a2', secret: 'sk-a2', account: 'acctA' },
  { name: 'b1', secret: 'sk-b1', account: 'acctB' },
];

describe('dispatcher metrics', () => {
  it('show the KIE calls by endpoint and code, the queue, and each key\'s state and room from the real pool', async () => {
    const registry = new Registry();
    const w = (world = await startWorld({ keys: KEYS, sim: { lostCallbackRate: 0 }, deps: { registry } }));
    // b1 revoked (401): its own block, the other keys go on.
    await w.d.pool.block('b1', Date.now(), Date.now() + 3600_000, 401, 'key revoked', 'key');
    const cmd = await w.submit();
    expect((await outcome(w, cmd.data.orderId)).type).toBe('kie.task.succeeded.v1');

    const text = await registry.metrics();
    const read = (name: string, labels: Record<string, string> = {}) => metricSample(text, name, labels);
    expect(read('neurocards_kie_responses_total', { endpoint: 'upload', code: '200' })).toBeGreaterThanOrEqual(1);
    expect(read('neurocards_kie_responses_total', { endpoint: 'createTask', code: '200' })).toBe(1);
    expect(read('neurocards_kie_request_seconds_count', { endpoint: 'createTask' })).toBe(1);

    expect(read('neurocards_queue_depth')).toBe(0);
    expect(read('neurocards_kie_key_state', { account: 'acctB', key: 'b1', state: 'blocked' })).toBe(1);
    expect(read('neurocards_kie_key_state', { account: 'acctB', key: 'b1', state: 'ok' })).toBe(0);
    expect(read('neurocards_kie_key_state', { account: 'acctA', key: 'a1', state: 'ok' })).toBe(1);
    expect(read('neurocards_kie_keys_available')).toBe(2);
    for (const key of ['a1', 'a2']) {
      expect(read('neurocards_kie_tasks_running', { account: 'acctA', key })).toBe(0);
      const ratio = read('neurocards_kie_key_budget_used_ratio', { account: 'acctA', key });
      expect(ratio).toBeGreaterThanOrEqual(0);
      expect(ratio).toBeLessThanOrEqual(1);
    }
  });
});
