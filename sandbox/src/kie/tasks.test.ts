import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKieSim } from './sim.js';
import type { KieSim } from './sim.js';
import { createTask, kie, taskBody, startCallbackHook } from './test-helpers.js';
import type { CallbackHook } from './test-helpers.js';
import type { KieRecord } from './types.js';

let hook: CallbackHook<KieRecord>;
beforeAll(async () => {
  hook = await startCallbackHook<KieRecord>('t1');
});
afterAll(async () => hook.close());

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('task lifecycle', () => {
  let sim: KieSim;
  beforeAll(async () => {
    sim = await startKieSim({ latencyMs: 300, hmacKey: 'hmac-secret' });
  });
  afterAll(async () => sim.close());

  it('moves a task to success, with resultJson as a JSON string, and posts a signed callback', async () => {
    hook.received.length = 0;
    const created = await createTask(sim, 'key-a', taskBody({ callBackUrl: hook.url }));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ code: 200, msg: 'success' });
    const taskId = created.body.data?.taskId ?? '';

    const early = await kie<KieRecord>(sim, 'GET', `/api/v1/jobs/recordInfo?taskId=${taskId}`, 'key-a');
    expect(['waiting', 'queuing', 'generating']).toContain(early.body.data.state);
    expect(early.body.data.resultJson).toBe('');
    expect(JSON.parse(early.body.data.param)).toMatchObject({ model: 'sora-2-image-to-video', input: { aspect_ratio: 'portrait' } });

    await until(() => hook.received.length === 1);
    const final = await kie<KieRecord>(sim, 'GET', `/api/v1/jobs/recordInfo?taskId=${taskId}`, 'key-a');
    expect(final.body.data).toMatchObject({ taskId, state: 'success', failCode: '', failMsg: '', progress: 100 });
    expect(typeof final.body.data.completeTime).toBe('number');
    expect(final.body.data.createTime).toBeLessThanOrEqual(final.body.data.completeTime ?? 0);
    const urls = (JSON.parse(final.body.data.resultJson) as { resultUrls: string[] }).resultUrls;
    const video = await fetch(urls[0] ?? '');
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect(new Uint8Array(await video.arrayBuffer())).toEqual(sim.videoBytes);

    const cb = hook.received[0];
    expect(cb?.body).toEqual({ code: 200, msg: expect.any(String), data: final.body.data });
    const ts = String(cb?.headers['x-webhook-timestamp']);
    const expected = createHmac('sha256', 'hmac-secret').update(`${taskId}.${ts}`).digest('base64');
    expect(cb?.headers['x-webhook-signature']).toBe(expected);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('ends a task in fail without a content reason when told (transient)', async () => {
    hook.received.length = 0;
    sim.setBehavior({ taskFailNext: 1 });
    const created = await createTask(sim, 'key-a', taskBody({ callBackUrl: hook.url }));
    await until(() => hook.received.length === 1);
    expect(hook.received[0]?.body.data).toMatchObject({ taskId: created.body.data?.taskId, state: 'fail', failCode: '500' });
    expect(hook.received[0]?.body.data.failMsg).not.toMatch(/content|moderation/i);
  });

  it('refuses content either at createTask (422) or as a failed task', async () => {
    sim.setBehavior({ refusalMode: 'createTask' });
    const refused = await createTask(sim, 'key-a', taskBody({ prompt: 'something FORBIDDEN here' }));
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe(422);

    hook.received.length = 0;
    sim.setBehavior({ refusalMode: 'task', refusalMarker: 'NOPE' });
    const created = await createTask(sim, 'key-a', taskBody({ prompt: 'NOPE', callBackUrl: hook.url }));
    expect(created.body.code).toBe(200);
    await until(() => hook.received.length === 1);
    expect(hook.received[0]?.body.data.state).toBe('fail');
    expect(hook.received[0]?.body.data.failMsg).toMatch(/content polic/i);
  });

  it('refuses the content of the next N tasks whatever their prompt, then succeeds again', async () => {
    hook.received.length = 0;
    sim.setBehavior({ refusalMode: 'task', refuseNext: 1 });
    const refused = await createTask(sim, 'key-a', taskBody({ prompt: 'a plain prompt', callBackUrl: hook.url }));
    const fine = await createTask(sim, 'key-a', taskBody({ prompt: 'a plain prompt', callBackUrl: hook.url }));
    await until(() => hook.received.length === 2);
    const byTask = (id: string | undefined) => hook.received.find((r) => r.body.data.taskId === id)?.body.data;
    expect(byTask(refused.body.data?.taskId)?.state).toBe('fail');
    expect(byTask(refused.body.data?.taskId)?.failMsg).toMatch(/content polic/i);
    expect(byTask(fine.body.data?.taskId)?.state).toBe('success');
  });

  it('sends duplicate callbacks, loses callbacks, and survives an unreachable callback URL', async () => {
    hook.received.length = 0;
    sim.setBehavior({ duplicateCallbacks: 2, refusalMarker: 'FORBIDDEN' });
    await createTask(sim, 'key-b', taskBody({ callBackUrl: hook.url }));
    await until(() => hook.received.length === 3);
    expect(new Set(hook.received.map((r) => r.body.data.taskId)).size).toBe(1);

    sim.setBehavior({ duplicateCallbacks: 0, lostCallbackRate: 1 });
    const lost = await createTask(sim, 'key-b', taskBody({ callBackUrl: hook.url }));
    sim.setBehavior({ lostCallbackRate: 0 });
    const dead = await createTask(sim, 'key-b', taskBody({ callBackUrl: 'http://127.0.0.1:1/kie/callback/x' }));
    await until(() => sim.callbacks().some((c) => c.taskId === dead.body.data?.taskId));
    expect(sim.callbacks().find((c) => c.taskId === dead.body.data?.taskId)?.status).toBe('error');
    await until(() => sim.tasks().find((t) => t.taskId === lost.body.data?.taskId)?.state === 'success');
    expect(sim.callbacks().some((c) => c.taskId === lost.body.data?.taskId)).toBe(false);
    expect((await kie(sim, 'GET', '/api/v1/chat/credit', 'key-b')).status).toBe(200);
  });

  it('answers data null for a young task when told to', async () => {
    sim.setBehavior({ recordNullMs: 10_000 });
    const created = await createTask(sim, 'key-a');
    const r = await kie(sim, 'GET', `/api/v1/jobs/recordInfo?taskId=${created.body.data?.taskId}`, 'key-a');
    expect(r.body).toEqual({ code: 200, msg: 'success', data: null });
    sim.setBehavior({ recordNullMs: 0 });
  });
});
