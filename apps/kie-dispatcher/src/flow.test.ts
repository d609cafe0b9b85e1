import { afterEach, describe, expect, it } from 'vitest';
import type { Envelope } from '@neurocards/contracts';
import { requestRpc, serveRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { kieWebhookSignature } from '@neurocards/sandbox';
import { getTask } from './adapters/tasks-repo';
import { webhookSignature } from './handlers/callback';
import { KEYS, outcome, startWorld, type World } from '../test/flow-world';
import { submitCommand } from '../test/testing';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

const start = async (opts: Parameters<typeof startWorld>[0] = {}) => (world = await startWorld(opts));
const types = (events: Envelope[]) => events.map((e) => e.type);

describe('against the KIE simulator', () => {
  it('happy path: upload once, createTask, signed callback → succeeded', async () => {
    const w = await start({ sim: { lostCallbackRate: 0 } });
    const cmd = await w.submit({ aspectRatio: 'landscape', model: 'kling-3.0/video', duration: 10 });
    const done = await outcome(w, cmd.data.orderId);
    expect(types(await w.events(cmd.data.orderId))).toEqual([
      'kie.task.submitted.v1',
      'kie.task.succeeded.v1',
    ]);
    expect(done.data).toMatchObject({ jobId: cmd.data.jobId, attempt: 1 });
    const [task] = w.sim.tasks();
    expect(task).toMatchObject({ model: 'kling-3.0/video', family: 'market', prompt: cmd.data.prompt });
    // Kling 3.0's own fields (https://docs.kie.ai/market/kling/kling-3.0), none of Sora's.
    expect(task!.input).toEqual({
      prompt: cmd.data.prompt,
      image_urls: [w.sim.uploads()[0]!.downloadUrl],
      sound: true,
      duration: '10',
      aspect_ratio: '16:9',
      mode: 'std',
      multi_shots: false,
    });
    expect(task!.imageUrls).toEqual([w.sim.uploads()[0]!.downloadUrl]);
    expect(task!.callBackUrl).toMatch(/\/kie\/callback\/[A-Za-z0-9_-]{20,}$/);
    expect(task!.callBackUrl).not.toContain('sk-');
    expect(w.sim.uploads()).toHaveLength(1);
    await eventually(() => w.sim.callbacks().some((c) => c.status === 200));
  });

  it('polls when callbacks are lost (recordInfo data null while young)', async () => {
    const w = await start({ sim: { lostCallbackRate: 1, recordNullMs: 1000 } });
    const cmd = await w.submit();
    const done = await outcome(w, cmd.data.orderId);
    expect(done.type).toBe('kie.task.succeeded.v1');
    expect(w.sim.callbacks().every((c) => c.status !== 200)).toBe(true);
    expect(Object.values(w.sim.requestCounts()).reduce((n, c) => n + c.recordInfo, 0)).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('duplicate callbacks change nothing', async () => {
    const w = await start({ sim: { duplicateCallbacks: 3 } });
    const cmd = await w.submit();
    await outcome(w, cmd.data.orderId);
    await eventually(() => w.sim.callbacks().length >= 4);
    expect(w.sim.callbacks().every((c) => c.status === 200)).toBe(true);
    expect(types(await w.events(cmd.data.orderId))).toEqual([
      'kie.task.submitted.v1',
      'kie.task.succeeded.v1',
    ]);
  });

  it('the same photo is uploaded once for several videos', async () => {
    const w = await start();
    const photo = await w.env.putPhoto();
    const ref = { objectKey: photo, mimeType: 'image/jpeg' as const, sizeBytes: 8, fileUniqueId: 'u' };
    const orderId = submitCommand().data.orderId;
    const cmds = [
      await w.submit({ orderId, photo: ref }),
      await w.submit({ orderId, photo: ref }),
      await w.submit({ orderId, photo: ref }),
    ];
    await eventually(
      async () => (await w.events(orderId)).filter((e) => e.type === 'kie.task.succeeded.v1').length === 3,
      15_000,
    );
    expect(cmds).toHaveLength(3);
    expect(w.sim.uploads()).toHaveLength(1);
  });

  it('402 blocks the key, fails the job with billing, and the next job uses the other key', async () => {
    const w = await start({ sim: { accountErrors: { 'sk-alpha': 402 } } });
    const first = await w.submit();
    const done = await outcome(w, first.data.orderId);
    expect(done.data).toMatchObject({ reason: 'billing', lastErrorClass: 'billing', code: 402 });
    const blocked = await eventually(async () =>
      (
        await w.env.sql<
          { payload: Envelope }[]
        >`select payload from outbox where subject = 'kie.key.blocked.v1'`
      ).map((r) => r.payload),
    );
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.data).toMatchObject({ keyName: 'alpha', code: 402, allKeysBlocked: false });
    expect(JSON.stringify(blocked)).not.toContain('sk-alpha');
    const stats = await w.d.stats();
    expect(stats.keys.find((k) => k.name === 'alpha')).toMatchObject({ state: 'blocked' });

    const second = await w.submit();
    expect((await outcome(w, second.data.orderId)).type).toBe('kie.task.succeeded.v1');
    expect(w.creates()).toEqual({ alpha: 1, beta: 1 });
  });

  it('with KIE_BILLING_FAILOVER the job is resubmitted once on another key', async () => {
    const w = await start({
      sim: { accountErrors: { 'sk-alpha': 433 } },
      config: { KIE_BILLING_FAILOVER: true },
    });
    const cmd = await w.submit();
    const done = await outcome(w, cmd.data.orderId);
    expect(done.type).toBe('kie.task.succeeded.v1');
    expect(done.data).toMatchObject({ attempt: 2 });
    expect(w.creates()).toEqual({ alpha: 1, beta: 1 });
  });

  it('when every key is blocked, admins learn it and jobs wait queued', async () => {
    const w = await start({
      sim: { accountErrors: { 'sk-alpha': 401, 'sk-beta': 401 } },
      config: { KIE_BILLING_FAILOVER: true },
    });
    const first = await w.submit();
    expect((await outcome(w, first.data.orderId)).data).toMatchObject({ reason: 'billing' });
    const blocked = await eventually(async () => {
      const rows = await w.env.sql<
        { payload: Envelope }[]
      >`select payload from outbox where subject = 'kie.key.blocked.v1' order by seq`;
      return rows.length === 2 ? rows.map((r) => r.payload) : null;
    });
    expect(blocked.map((e) => (e.data as { allKeysBlocked: boolean }).allKeysBlocked)).toEqual([false, true]);
    const waiting = await w.submit();
    await new Promise((r) => setTimeout(r, 300));
    expect(await getTask(w.env.sql, waiting.data.jobId)).toMatchObject({ state: 'queued', attempt: 1 });
    expect((await w.d.stats()).queueDepth).toBe(1);
    expect(w.creates()).toEqual({ alpha: 1, beta: 1 });
  });

  it('content refusal at createTask (422) fails with user_violation, no retry', async () => {
    const w = await start({ sim: { refusalMode: 'createTask' } });
    const cmd = await w.submit({ prompt: 'A FORBIDDEN thing' });
    expect((await outcome(w, cmd.data.orderId)).data).toMatchObject({ reason: 'user_violation', code: 422 });
    await new Promise((r) => setTimeout(r, 200));
    expect(Object.values(w.creates()).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('content refusal as a failed task fails with user_violation, no retry', async () => {
    const w = await start({ sim: { refusalMode: 'task' } });
    const cmd = await w.submit({ prompt: 'A FORBIDDEN thing' });
    expect((await outcome(w, cmd.data.orderId)).data).toMatchObject({
      reason: 'user_violation',
      lastErrorClass: 'user_violation',
    });
    expect(Object.values(w.creates()).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('429 cools the key down and retries later, after the back-off', async () => {
    const w = await start({ sim: { force429Next: 1 }, keys: [KEYS[0]!] });
    const cmd = await w.submit();
    const row = await eventually(async () => {
      const t = await getTask(w.env.sql, cmd.data.jobId);
      return t?.attempt === 2 ? t : null;
    });
    expect(row).toMatchObject({ state: 'queued', lastErrorClass: 'rate_limited', lastErrorCode: 429 });
    expect((await w.d.stats()).keys[0]).toMatchObject({ name: 'alpha', state: 'cooling' });
    await new Promise((r) => setTimeout(r, 300));
    expect(w.creates()).toEqual({ alpha: 1 });
    w.skip(61_000);
    const done = await outcome(w, cmd.data.orderId);
    expect(done.data).toMatchObject({ attempt: 2 });
    expect(w.creates()).toEqual({ alpha: 2 });
  });

  it('5xx three times ends exhausted, one createTask per attempt, spaced by the back-off', async () => {
    const w = await start({ sim: { failNext: 100 }, keys: [KEYS[0]!] });
    const cmd = await w.submit();
    const attemptIs = (n: number) =>
      eventually(async () => ((await getTask(w.env.sql, cmd.data.jobId))?.attempt === n ? true : null));
    await attemptIs(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(w.creates()).toEqual({ alpha: 1 }); // waits out 10 s instead of hammering
    w.skip(10_000);
    await attemptIs(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(w.creates()).toEqual({ alpha: 2 });
    w.skip(20_000);
    const done = await outcome(w, cmd.data.orderId);
    expect(done.data).toMatchObject({
      reason: 'exhausted',
      lastErrorClass: 'transient',
      attempt: 3,
      code: 500,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(w.creates()).toEqual({ alpha: 3 });
  });

  it('never exceeds a key’s submission rate: the rest waits queued, KIE never says 429', async () => {
    const w = await start({ keys: [KEYS[0]!], sim: { latencyMs: 60_000 } });
    const orderId = submitCommand().data.orderId;
    for (let i = 0; i < 25; i++) await w.submit({ orderId });
    await eventually(
      async () => (await w.events(orderId)).filter((e) => e.type === 'kie.task.submitted.v1').length === 20,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(w.creates()).toEqual({ alpha: 20 });
    const stats = await w.d.stats();
    expect(stats.queueDepth).toBe(5);
    expect(stats.keys[0]).toMatchObject({ name: 'alpha', state: 'ok', inFlight: 20 });
  });

  it('signs callbacks the way the simulator (and KIE) does', () => {
    expect(webhookSignature('task-1', '1700000000', 'k')).toBe(
      kieWebhookSignature('task-1', '1700000000', 'k'),
    );
  });

  it('answers kie.keys.stats over NATS', async () => {
    const w = await start();
    const sub = serveRpc(
      w.env.nc as never,
      'kie.keys.stats',
      `kie-dispatcher-test-${Date.now()}`,
      w.d.stats,
      w.env.log,
    );
    try {
      const res = await requestRpc(w.env.nc as never, 'kie.keys.stats', {});
      expect(res.keys.map((k) => k.name).sort()).toEqual(['alpha', 'beta']);
    } finally {
      await sub.drain();
    }
  });
});
