import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startKieSim } from './sim.js';
import type { KieSim } from './sim.js';
import { createTask, startCallbackHook, taskBody } from './test-helpers.js';

let sim: KieSim;
beforeAll(async () => {
  sim = await startKieSim({ latencyMs: 20, accounts: { main: ['m1', 'm2'], spare: ['s1'] }, credits: 100_000 });
});
afterAll(async () => sim.close());
beforeEach(() => sim.setBehavior({ rates: {}, refusalRate: 0, noCreditsRate: 0, rateLimitRate: 0, serverErrorRate: 0, lostCallbackRate: 0, duplicateCallbackRate: 0 }));

const outcomeOf = (taskId: string | undefined) => sim.core.tasks.get(taskId ?? '')?.outcome;

describe('failure shares per account and per key', () => {
  it('refuses every task at a 100 % refusal share, and counts the refusals per key', async () => {
    sim.setBehavior({ refusalRate: 1 });
    const before = sim.core.outcomesOf('s1').refused;
    for (let i = 0; i < 3; i++) {
      const r = await createTask(sim, 's1');
      expect(r.body.code).toBe(200);
      expect(outcomeOf(r.body.data?.taskId)).toBe('content');
    }
    expect(sim.core.outcomesOf('s1').refused - before).toBe(3);
  });

  it('answers 402 for one account only, and counts them for the account and the key', async () => {
    sim.setBehavior({ rates: { main: { noCreditsRate: 1 } } });
    const before = sim.accountStats().main?.noCredits ?? 0;
    expect((await createTask(sim, 'm1')).status).toBe(402);
    expect((await createTask(sim, 'm2')).status).toBe(402);
    expect((await createTask(sim, 's1')).status).toBe(200);
    expect((sim.accountStats().main?.noCredits ?? 0) - before).toBe(2);
    expect(sim.core.outcomesOf('m1').noCredits).toBeGreaterThanOrEqual(1);
  });

  it("lets a key's setting win over its account's, which wins over the global one", async () => {
    sim.setBehavior({ rateLimitRate: 1, rates: { main: { rateLimitRate: 0 }, m2: { rateLimitRate: 1 } } });
    expect(sim.core.rate('rateLimitRate', 'm1', 'main')).toBe(0);
    expect(sim.core.rate('rateLimitRate', 'm2', 'main')).toBe(1);
    expect(sim.core.rate('rateLimitRate', 's1', 'spare')).toBe(1);
    expect((await createTask(sim, 'm1')).status).toBe(200);
    expect((await createTask(sim, 'm2')).status).toBe(429);
    expect((await createTask(sim, 's1')).status).toBe(429);
    expect(sim.core.outcomesOf('m2').rateLimited).toBeGreaterThanOrEqual(1);
  });

  it('answers 5xx for one key only', async () => {
    sim.setBehavior({ rates: { m1: { serverErrorRate: 1 } } });
    expect((await createTask(sim, 'm1')).status).toBe(500);
    expect((await createTask(sim, 'm2')).status).toBe(200);
  });

  it('keeps the marker and refuseNext working beside the rates', async () => {
    sim.setBehavior({ refuseNext: 1 });
    expect(outcomeOf((await createTask(sim, 'm1')).body.data?.taskId)).toBe('content');
    expect(outcomeOf((await createTask(sim, 'm1')).body.data?.taskId)).toBe('success');
    expect(outcomeOf((await createTask(sim, 'm1', taskBody({ prompt: 'a FORBIDDEN mug' }))).body.data?.taskId)).toBe('content');
  });

  it('loses every callback of one account and doubles every callback of another', async () => {
    const hook = await startCallbackHook<{ taskId: string }>('t');
    try {
      sim.setBehavior({ rates: { main: { lostCallbackRate: 1 }, spare: { duplicateCallbackRate: 1 } } });
      const lost = await createTask(sim, 'm1', taskBody({ callBackUrl: hook.url }));
      const doubled = await createTask(sim, 's1', taskBody({ callBackUrl: hook.url }));
      const ids = (id: string | undefined) => hook.received.filter((c) => c.body.data.taskId === id).length;
      await vi.waitFor(() => expect(ids(doubled.body.data?.taskId)).toBe(2), { timeout: 5000 });
      await vi.waitFor(() => expect(sim.core.tasks.get(lost.body.data?.taskId ?? '')?.completedAt).toBeDefined(), { timeout: 5000 });
      expect(ids(lost.body.data?.taskId)).toBe(0);
      expect(sim.core.outcomesOf('m1').lostCallbacks).toBeGreaterThanOrEqual(1);
      expect(sim.core.outcomesOf('s1').duplicateCallbacks).toBeGreaterThanOrEqual(1);
    } finally {
      await hook.close();
    }
  });
});
