import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '@neurocards/platform/testing';
import { getTask } from './adapters/tasks-repo';
import type { KieClient } from './adapters/kie-client';
import { classify } from './domain/classify';
import { gate, KEYS, outcome, startWorld, type World } from '../test/flow-world';
import { submitCommand } from '../test/testing';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});
const start = async (opts: Parameters<typeof startWorld>[0] = {}) => (world = await startWorld(opts));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('submission limits against the KIE simulator', () => {
  it('uneven upload times never bunch createTask calls past the rate (no 429)', async () => {
    const sent: number[] = [];
    const order: string[] = [];
    let uploads = 0;
    let rejected = 0;
    const w = await start({
      keys: [KEYS[0]!],
      sim: { latencyMs: 60_000 },
      wrap: (kie): KieClient => ({
        ...kie,
        async upload(secret, file, signal) {
          const n = ++uploads;
          // Four uploads of the first batch are slow; the rest are instant.
          if (n >= 5 && n <= 8) {
            await sleep(9_500);
            order.push('slow upload done');
          }
          return kie.upload(secret, file, signal);
        },
        async createTask(secret, body, signal) {
          sent.push(Date.now());
          const res = await kie.createTask(secret, body, signal);
          if (res.ok) order.push('created');
          else if (classify(res.failure).code === 429) rejected++;
          return res;
        },
      }),
    });
    const orderId = submitCommand().data.orderId;
    for (let i = 0; i < 30; i++) await w.submit({ orderId });
    // 30 tasks at 20 per 10 s take ~10 s; the bound leaves room for a loaded 2-core machine.
    await eventually(() => w.sim.tasks().length === 30 || null, 45_000);
    expect(rejected).toBe(0);
    expect(w.creates()).toEqual({ alpha: 30 });
    // At most 20 createTask in any 10 s window, as the client sent them.
    sent.sort((a, b) => a - b);
    for (let i = 0; i + 20 < sent.length; i++)
      expect(sent[i + 20]! - sent[i]!).toBeGreaterThanOrEqual(10_000);
    // The slow uploads held nobody else back: the first window filled before they finished.
    expect(order.indexOf('slow upload done')).toBe(20);
  }, 60_000);

  it('sends at most keyParallelism unanswered createTask to a key: a 402 reaches few calls', async () => {
    const w = await start({
      sim: { accountErrors: { 'sk-alpha': 402 }, requestLatencyMs: 300 },
      deps: { keyParallelism: 2 },
      loops: false,
    });
    const orderId = submitCommand().data.orderId;
    const cmds = [];
    // All queued before the loop looks: one tick sees them together.
    for (let i = 0; i < 8; i++) cmds.push(await w.submit({ orderId }));
    w.d.startLoops();
    // Every job's own outcome (they share one order): only then are all createTask answered.
    const done = await Promise.all(cmds.map((c) => outcome(w, c.data.orderId, c.data.jobId)));
    expect(new Set(done.map((e) => (e.data as { jobId: string }).jobId)).size).toBe(8);
    const creates = w.creates();
    expect(creates.alpha).toBeLessThanOrEqual(2);
    // One createTask per job: none was sent twice (to alpha and again elsewhere).
    expect((creates.alpha ?? 0) + (creates.beta ?? 0)).toBe(8);
    const failed = (await w.events(orderId)).filter((e) => e.type === 'kie.task.failed.v1');
    expect(failed.length).toBe(creates.alpha);
    for (const e of failed) expect(e.data).toMatchObject({ reason: 'billing' });
  });

  it('never has more than KIE_MAX_IN_FLIGHT tasks on a key, even within one tick', async () => {
    const w = await start({
      keys: [KEYS[0]!],
      sim: { latencyMs: 60_000 },
      config: { KIE_MAX_IN_FLIGHT: 3 },
      loops: false,
    });
    const orderId = submitCommand().data.orderId;
    for (let i = 0; i < 6; i++) await w.submit({ orderId });
    w.d.startLoops();
    await eventually(
      async () => (await w.events(orderId)).filter((e) => e.type === 'kie.task.submitted.v1').length === 3,
    );
    await sleep(500);
    expect(w.creates()).toEqual({ alpha: 3 });
    const stats = await w.d.stats();
    expect(stats.queueDepth).toBe(3);
    expect(stats.keys[0]).toMatchObject({ name: 'alpha', inFlight: 3 });
  });
});

describe('stopping', () => {
  it('returns before a slow createTask answers, leaving the row leased for the next start', async () => {
    const order: string[] = [];
    const slow = gate();
    const w = await start({
      keys: [KEYS[0]!],
      deps: { shutdownGraceMs: 100 },
      wrap: (kie): KieClient => ({
        ...kie,
        async createTask(secret, body, signal) {
          order.push('createTask sent');
          await slow.promise;
          const res = await kie.createTask(secret, body, signal);
          order.push('createTask answered');
          return res;
        },
      }),
    });
    const cmd = await w.submit();
    await eventually(() => order.includes('createTask sent') || null);
    await w.d.stopLoops();
    order.push('stopped');
    expect(await getTask(w.env.sql, cmd.data.jobId)).toMatchObject({ state: 'submitting', keyName: 'alpha' });
    expect((await getTask(w.env.sql, cmd.data.jobId))!.createSentAt).not.toBeNull();
    slow.open();
    await eventually(() => order.includes('createTask answered') || null);
    expect(order).toEqual(['createTask sent', 'stopped', 'createTask answered']);
  });

  it('aborts an upload in flight and puts the row back in the queue, without createTask', async () => {
    const order: string[] = [];
    const w = await start({
      keys: [KEYS[0]!],
      wrap: (kie): KieClient => ({
        ...kie,
        async upload(_secret, _file, signal) {
          order.push('upload started');
          // Hangs until aborted, like a stalled upload.
          await new Promise<void>((r) => signal?.addEventListener('abort', () => r()));
          order.push('upload aborted');
          return { ok: false, failure: { kind: 'timeout', message: 'aborted' } };
        },
      }),
    });
    const cmd = await w.submit();
    await eventually(() => order.includes('upload started') || null);
    await w.d.stopLoops();
    order.push('stopped');
    expect(order).toEqual(['upload started', 'upload aborted', 'stopped']);
    expect(await getTask(w.env.sql, cmd.data.jobId)).toMatchObject({ state: 'queued', attempt: 1 });
    expect(w.creates()).toEqual({});
  });
});
