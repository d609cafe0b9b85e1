import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startKieSim } from './sim.js';
import type { KieSim } from './sim.js';
import { IMAGE_URL, createTask, kie, startCallbackHook } from './test-helpers.js';
import type { CallbackHook, ReceivedCallback } from './test-helpers.js';
import type { KieRecord, VeoRecord } from './types.js';

type Received = ReceivedCallback<Record<string, unknown>>;
let hook: CallbackHook<Record<string, unknown>>;

let sim: KieSim;
beforeAll(async () => {
  hook = await startCallbackHook<Record<string, unknown>>('t2');
  sim = await startKieSim({ latencyMs: 300, hmacKey: 'hmac-secret', accounts: { main: ['key-1', 'key-2'] } });
});
afterAll(async () => {
  await sim.close();
  await hook.close();
});
beforeEach(() => {
  hook.received.length = 0;
});

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const signatureOk = (r: Received | undefined, taskId: string): boolean => {
  const ts = String(r?.headers['x-webhook-timestamp']);
  return r?.headers['x-webhook-signature'] === createHmac('sha256', 'hmac-secret').update(`${taskId}.${ts}`).digest('base64');
};

const VEO_BODY = {
  prompt: 'A ceramic mug turns slowly on a wooden table',
  imageUrls: [IMAGE_URL],
  model: 'veo3_fast',
  aspect_ratio: '9:16',
  generationType: 'FIRST_AND_LAST_FRAMES_2_VIDEO',
};

describe('Market family (Kling 3.0)', () => {
  it('creates, reports through recordInfo, and calls back signed, recording the request as received', async () => {
    const body = {
      model: 'kling-3.0/video',
      callBackUrl: hook.url,
      input: { prompt: 'A mug on a table', image_urls: [IMAGE_URL], duration: '5', aspect_ratio: '9:16', mode: 'std', sound: false },
    };
    const created = await createTask(sim, 'key-1', body);
    const taskId = created.body.data?.taskId ?? '';
    expect(created.body.code).toBe(200);
    expect(sim.tasks().find((t) => t.taskId === taskId)).toMatchObject({ family: 'market', model: 'kling-3.0/video', account: 'main', key: 'key-1', param: body, input: body.input });

    await until(() => hook.received.length === 1);
    // Another key of the same account may read the task.
    const rec = await kie<KieRecord>(sim, 'GET', `/api/v1/jobs/recordInfo?taskId=${taskId}`, 'key-2');
    expect(rec.body.data).toMatchObject({ taskId, model: 'kling-3.0/video', state: 'success' });
    expect(JSON.parse(rec.body.data.param)).toEqual(body);
    expect(hook.received[0]?.body).toEqual({ code: 200, msg: expect.any(String), data: rec.body.data });
    expect(signatureOk(hook.received[0], taskId)).toBe(true);
    // A Veo task id is not a Market task.
    const veoCreated = await kie<{ taskId: string }>(sim, 'POST', '/api/v1/veo/generate', 'key-1', VEO_BODY);
    expect((await kie(sim, 'GET', `/api/v1/jobs/recordInfo?taskId=${veoCreated.body.data.taskId}`, 'key-1')).body.code).toBe(422);
  });
});

describe('Veo 3.1 family', () => {
  it('moves successFlag from 0 to 1, fills response, and calls back with the Veo body, signed', async () => {
    const created = await kie<{ taskId: string }>(sim, 'POST', '/api/v1/veo/generate', 'key-2', { ...VEO_BODY, callBackUrl: hook.url });
    expect(created.body).toMatchObject({ code: 200, msg: 'success' });
    const taskId = created.body.data.taskId;
    expect(taskId).toMatch(/^veo_task_/);
    expect(sim.tasks().find((t) => t.taskId === taskId)).toMatchObject({ family: 'veo', model: 'veo3_fast', account: 'main', key: 'key-2', input: { ...VEO_BODY, callBackUrl: hook.url } });

    const early = await kie<VeoRecord>(sim, 'GET', `/api/v1/veo/record-info?taskId=${taskId}`, 'key-2');
    expect(early.body.data).toMatchObject({ taskId, successFlag: 0, response: null, completeTime: null, errorCode: null });
    expect(JSON.parse(early.body.data.paramJson)).toEqual({ ...VEO_BODY, callBackUrl: hook.url });
    expect(early.body.data.createTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    await until(() => hook.received.length === 1);
    const done = await kie<VeoRecord>(sim, 'GET', `/api/v1/veo/record-info?taskId=${taskId}`, 'key-1');
    expect(done.body.data).toMatchObject({ taskId, successFlag: 1, errorCode: null, fallbackFlag: false });
    const url = done.body.data.response?.resultUrls[0] ?? '';
    expect(new Uint8Array(await (await fetch(url)).arrayBuffer())).toEqual(sim.videoBytes);

    const cb = hook.received[0];
    expect(cb?.body).toEqual({
      code: 200,
      msg: 'Veo3.1 video generated successfully.',
      data: { taskId, promptJson: done.body.data.paramJson, info: { resultUrls: [url], originUrls: [url], resolution: '720p' }, fallbackFlag: false },
    });
    expect(signatureOk(cb, taskId)).toBe(true);
    expect(Math.abs(Number(cb?.headers['x-webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('ends a failed generation with successFlag 3 and a 501 callback, and a refused prompt with 2 and 400', async () => {
    sim.setBehavior({ taskFailNext: 1 });
    const failed = await kie<{ taskId: string }>(sim, 'POST', '/api/v1/veo/generate', 'key-1', { ...VEO_BODY, callBackUrl: hook.url });
    const refused = await kie<{ taskId: string }>(sim, 'POST', '/api/v1/veo/generate', 'key-1', { ...VEO_BODY, prompt: 'FORBIDDEN', callBackUrl: hook.url });
    await until(() => hook.received.length === 2);
    const byId = (id: string) => hook.received.find((r) => r.body.data.taskId === id)?.body;
    expect(byId(failed.body.data.taskId)).toMatchObject({ code: 501, data: { info: null } });
    expect(byId(failed.body.data.taskId)?.msg).not.toMatch(/content|polic/i);
    expect(byId(refused.body.data.taskId)).toMatchObject({ code: 400, msg: expect.stringMatching(/content polic/i) });
    const flag = async (id: string) => (await kie<VeoRecord>(sim, 'GET', `/api/v1/veo/record-info?taskId=${id}`, 'key-1')).body.data.successFlag;
    expect(await flag(failed.body.data.taskId)).toBe(3);
    expect(await flag(refused.body.data.taskId)).toBe(2);
  });

  it('shares the engine: duplicate callbacks, data null while young, credits charged to the account', async () => {
    sim.setBehavior({ duplicateCallbacks: 1 });
    const before = sim.creditsOf('main');
    const created = await kie<{ taskId: string }>(sim, 'POST', '/api/v1/veo/generate', 'key-2', { ...VEO_BODY, callBackUrl: hook.url });
    sim.setBehavior({ duplicateCallbacks: 0, recordNullMs: 10_000 });
    const young = await kie(sim, 'GET', `/api/v1/veo/record-info?taskId=${created.body.data.taskId}`, 'key-2');
    sim.setBehavior({ recordNullMs: 0 });
    expect(young.body).toEqual({ code: 200, msg: 'success', data: null });
    await until(() => hook.received.length === 2);
    expect(hook.received.every((r) => r.body.data.taskId === created.body.data.taskId)).toBe(true);
    expect(sim.creditsOf('key-1')).toBe(before - 60);
    expect((await kie<number>(sim, 'GET', '/api/v1/chat/credit', 'key-1')).body.data).toBe(before - 60);
  });
});
