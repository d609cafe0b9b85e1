import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../shared/image.js';
import { startKieSim } from './sim.js';
import type { KieSim } from './sim.js';
import { createTask, kie, taskBody } from './test-helpers.js';

let sim: KieSim;
beforeAll(async () => {
  sim = await startKieSim({ latencyMs: 60_000, keys: ['k1', 'k2', 'k3', 'k4'], credits: 1000 });
});
afterAll(async () => sim.close());

describe('auth and account errors', () => {
  it('answers 401 without a key or with an unknown key', async () => {
    expect((await createTask(sim, 'nope')).body).toEqual({ code: 401, msg: expect.any(String), data: null });
    const none = await kie(sim, 'POST', '/api/v1/jobs/createTask', undefined, taskBody());
    expect(none.status).toBe(401);
  });

  it('answers per-key account errors on createTask, in the HTTP status and the body code', async () => {
    sim.setBehavior({ accountErrors: { k3: 402 } });
    const r = await createTask(sim, 'k3');
    expect(r.status).toBe(402);
    expect(r.body.code).toBe(402);
    sim.setBehavior({ accountErrors: { k3: 433 }, errorsAsHttp200: true });
    const quiet = await createTask(sim, 'k3');
    expect(quiet.status).toBe(200);
    expect(quiet.body.code).toBe(433);
    sim.setBehavior({ accountErrors: {}, errorsAsHttp200: false });
  });

  it('reports credits and runs out of them at 30 per task', async () => {
    sim.setCredits('k4', 40);
    expect((await kie<number>(sim, 'GET', '/api/v1/chat/credit', 'k4')).body).toEqual({ code: 200, msg: 'success', data: 40 });
    expect((await createTask(sim, 'k4')).body.code).toBe(200);
    expect((await createTask(sim, 'k4')).body.code).toBe(402);
    expect((await kie<number>(sim, 'GET', '/api/v1/chat/credit', 'k4')).body.data).toBe(10);
  });
});

describe('limits and forced failures', () => {
  it('answers 429 after 20 tasks in 10 s for one key, but not for another key', async () => {
    for (let i = 0; i < 20; i++) expect((await createTask(sim, 'k1')).body.code).toBe(200);
    const over = await createTask(sim, 'k1');
    expect(over.status).toBe(429);
    expect(over.body.code).toBe(429);
    expect((await createTask(sim, 'k2')).body.code).toBe(200);
    expect(sim.requestCounts().k1?.createTask).toBe(21);
  });

  it('forces 429, 455 and 500 on the next calls', async () => {
    sim.setBehavior({ force429Next: 1, maintenanceNext: 1, failNext: 1 });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await createTask(sim, 'k2')).status);
    expect(codes.sort()).toEqual([200, 429, 455, 500]);
  });
});

describe('validation', () => {
  it.each([
    ['no prompt', taskBody({ input: { prompt: '' } }), /prompt/],
    ['a prompt over 10,000 characters', taskBody({ prompt: 'x'.repeat(10_001) }), /prompt/],
    ['no image_urls', taskBody({ input: { image_urls: [] } }), /image_urls/],
    ['a bad aspect_ratio', taskBody({ input: { aspect_ratio: '16:9' } }), /aspect_ratio/],
    ['a bad n_frames', taskBody({ input: { n_frames: 10 } }), /n_frames/],
    ['an unknown model', { ...taskBody(), model: 'sora-3' }, /model/],
  ])('answers 422 for %s', async (_name, body, msg) => {
    const r = await createTask(sim, 'k2', body);
    expect(r.status).toBe(422);
    expect(r.body.code).toBe(422);
    expect(r.body.msg).toMatch(msg);
  });

  it('keeps the request as the task param and lists tasks', async () => {
    const r = await createTask(sim, 'k2', taskBody({ prompt: 'listed task' }));
    const t = sim.tasks().find((x) => x.taskId === r.body.data?.taskId);
    expect(t).toMatchObject({ key: 'k2', model: 'sora-2-image-to-video', prompt: 'listed task', imageUrls: ['https://files.example/product.jpg'], state: 'waiting' });
  });
});

describe('file stream upload', () => {
  it('stores a multipart upload and serves it at downloadUrl', async () => {
    const form = new FormData();
    form.set('file', new Blob([TINY_PNG], { type: 'image/png' }), 'p.png');
    form.set('uploadPath', 'images/user-uploads');
    form.set('fileName', 'order-1.png');
    const res = await fetch(`${sim.uploadBaseUrl}/api/file-stream-upload`, { method: 'POST', headers: { authorization: 'Bearer k2' }, body: form });
    const body = (await res.json()) as { success: boolean; code: number; data: Record<string, unknown> };
    expect(body).toMatchObject({
      success: true,
      code: 200,
      data: { fileName: 'order-1.png', filePath: 'images/user-uploads/order-1.png', fileSize: TINY_PNG.length, mimeType: 'image/png' },
    });
    expect(new Date(String(body.data.uploadedAt)).getTime()).toBeGreaterThan(0);
    const dl = await fetch(String(body.data.downloadUrl));
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(TINY_PNG);
    expect(sim.uploads()).toContainEqual({ key: 'k2', fileName: 'order-1.png', sizeBytes: TINY_PNG.length, downloadUrl: body.data.downloadUrl });

    const anon = await fetch(`${sim.uploadBaseUrl}/api/file-stream-upload`, { method: 'POST', body: new FormData() });
    expect(anon.status).toBe(401);
  });
});
