import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS } from './models.js';
import { startKieSim } from './sim.js';
import type { KieSim } from './sim.js';
import { IMAGE_URL, createTask, kie, taskBody } from './test-helpers.js';

const LAST = 'https://files.example/last.jpg';
const P = 'A hand holds a ceramic mug, slow dolly-in, warm light';

/** Per model: a request it accepts, a field it does not take, a bad value, and a required field to drop. */
interface Case {
  valid: Record<string, unknown>;
  foreign: [string, unknown];
  badValue: [string, unknown];
  required: string;
}
const MARKET: Record<string, Case> = {
  'kling-3.0/video': {
    valid: { prompt: P, image_urls: [IMAGE_URL], duration: '5', aspect_ratio: '9:16', mode: 'std', sound: false, multi_shots: false },
    foreign: ['n_frames', '10'],
    badValue: ['aspect_ratio', 'portrait'],
    required: 'duration',
  },
  'bytedance/seedance-2': {
    valid: { prompt: P, first_frame_url: IMAGE_URL, last_frame_url: LAST, resolution: '1080p', aspect_ratio: '9:16', duration: 8, generate_audio: true },
    foreign: ['image_urls', [IMAGE_URL]],
    badValue: ['duration', '8'],
    required: 'prompt',
  },
  'bytedance/seedance-2-fast': {
    valid: { prompt: P, first_frame_url: IMAGE_URL, resolution: '720p', aspect_ratio: 'adaptive', duration: 5, web_search: false },
    foreign: ['sound', true],
    badValue: ['resolution', '1080p'],
    required: 'prompt',
  },
  'wan/2-6-image-to-video': {
    valid: { prompt: P, image_urls: [IMAGE_URL], duration: '10', resolution: '1080p', multi_shots: false },
    foreign: ['aspect_ratio', '9:16'],
    badValue: ['duration', '8'],
    required: 'image_urls',
  },
  'hailuo/2-3-image-to-video-standard': {
    valid: { prompt: P, image_url: IMAGE_URL, duration: '6', resolution: '768P' },
    foreign: ['image_urls', [IMAGE_URL]],
    badValue: ['resolution', '768p'],
    required: 'image_url',
  },
  'hailuo/2-3-image-to-video-pro': {
    valid: { prompt: P, image_url: IMAGE_URL, duration: '10', resolution: '768P' },
    foreign: ['mode', 'pro'],
    badValue: ['duration', 6],
    required: 'prompt',
  },
  'sora-2-image-to-video': {
    valid: { prompt: P, image_urls: [IMAGE_URL], aspect_ratio: 'portrait', n_frames: '10', remove_watermark: true },
    foreign: ['duration', '10'],
    badValue: ['aspect_ratio', '9:16'],
    required: 'image_urls',
  },
};
const VEO: Record<string, Case> = {
  veo3_fast: {
    valid: { prompt: P, imageUrls: [IMAGE_URL], generationType: 'REFERENCE_2_VIDEO', aspect_ratio: '9:16', enableTranslation: false },
    foreign: ['image_urls', [IMAGE_URL]],
    badValue: ['aspect_ratio', 'portrait'],
    required: 'prompt',
  },
  veo3: {
    valid: { prompt: P, imageUrls: [IMAGE_URL, LAST], generationType: 'FIRST_AND_LAST_FRAMES_2_VIDEO', aspect_ratio: '16:9', seeds: 12345 },
    foreign: ['duration', 8],
    badValue: ['generationType', 'IMAGE_2_VIDEO'],
    required: 'prompt',
  },
  veo3_lite: {
    valid: { prompt: P, imageUrls: [IMAGE_URL], aspect_ratio: 'Auto' },
    foreign: ['input', { prompt: P }],
    badValue: ['seeds', 5],
    required: 'prompt',
  },
};

let sim: KieSim;
beforeAll(async () => {
  sim = await startKieSim({ latencyMs: 60_000, credits: 1_000_000, behavior: { rateLimit: { tasks: 1000, windowMs: 10_000 } } });
});
afterAll(async () => sim.close());

const market = (model: string, input: Record<string, unknown>) => createTask(sim, 'k-models', { model, input });
const veo = (model: string, body: Record<string, unknown>) => kie<{ taskId: string } | null>(sim, 'POST', '/api/v1/veo/generate', 'k-models', { model, ...body });
const without = (o: Record<string, unknown>, k: string) => Object.fromEntries(Object.entries(o).filter(([x]) => x !== k));

it('covers every model of the table', () => {
  expect(new Set([...Object.keys(MARKET), ...Object.keys(VEO)])).toEqual(
    new Set([...MODELS.keys()].filter((id) => !/text-to-video|sora-2-pro/.test(id))),
  );
});

describe.each([
  ...Object.entries(MARKET).map(([id, c]) => ['market', id, c] as const),
  ...Object.entries(VEO).map(([id, c]) => ['veo', id, c] as const),
])('%s model %s', (family, id, c) => {
  const send = (fields: Record<string, unknown>) => (family === 'market' ? market(id, fields) : veo(id, fields));

  it('accepts its documented request and records it as received', async () => {
    const r = await send(c.valid);
    expect(r.body).toMatchObject({ code: 200, msg: 'success' });
    const task = sim.tasks().find((t) => t.taskId === r.body.data?.taskId);
    expect(task).toMatchObject({ family, model: id, account: 'k-models', key: 'k-models', input: c.valid });
    expect(task?.cost).toBeGreaterThan(0);
  });

  it('refuses a field the model does not take, naming it', async () => {
    const [name, value] = c.foreign;
    const r = await send({ ...c.valid, [name]: value });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe(422);
    expect(r.body.msg).toContain(name);
    expect(r.body.msg).toMatch(/invalid parameter/i);
    expect(r.body.msg).not.toMatch(/content|polic|model is not supported/i);
  });

  it('refuses a value the model does not allow, naming the parameter', async () => {
    const [name, value] = c.badValue;
    const r = await send({ ...c.valid, [name]: value });
    expect(r.status).toBe(422);
    expect(r.body.msg).toContain(name);
    expect(r.body.msg).toMatch(/invalid parameter/i);
  });

  it('refuses a request without a required field', async () => {
    const r = await send(without(c.valid, c.required));
    expect(r.status).toBe(422);
    expect(r.body.msg).toContain(c.required);
  });
});

describe('cross-field rules', () => {
  it.each([
    ['kling without image needs aspect_ratio', () => market('kling-3.0/video', { prompt: P, duration: '5' }), /aspect_ratio/],
    ['hailuo offers no 10 s at 1080P', () => market('hailuo/2-3-image-to-video-standard', { prompt: P, image_url: IMAGE_URL, duration: '10', resolution: '1080P' }), /1080P/],
    ['veo REFERENCE_2_VIDEO is veo3_fast only', () => veo('veo3', { prompt: P, imageUrls: [IMAGE_URL], generationType: 'REFERENCE_2_VIDEO' }), /REFERENCE_2_VIDEO/],
    ['veo first/last frames takes at most 2 images', () => veo('veo3_fast', { prompt: P, imageUrls: [IMAGE_URL, LAST, LAST], generationType: 'FIRST_AND_LAST_FRAMES_2_VIDEO' }), /imageUrls/],
  ])('%s', async (_name, call, msg) => {
    const r = await call();
    expect(r.status).toBe(422);
    expect(r.body.msg).toMatch(msg);
  });

  it('a Veo model on the Market endpoint, or a Market model on the Veo endpoint, is unknown there', async () => {
    expect((await market('veo3_fast', { prompt: P })).body).toEqual({ code: 422, msg: 'The model is not supported', data: null });
    expect((await veo('kling-3.0/video', { prompt: P })).body.msg).toBe('The model is not supported');
  });
});

describe('withdrawing a model', () => {
  it('answers a withdrawn model as KIE answers an unknown one, on both families, until restored', async () => {
    const unknown = await market('sora-3', { prompt: P });
    sim.withdrawModel('sora-2-image-to-video');
    sim.withdrawModel('veo3');
    const gone = await createTask(sim, 'k-models', taskBody());
    expect(gone.status).toBe(422);
    expect(gone.body).toEqual(unknown.body);
    expect(gone.body.msg).toBe('The model is not supported');
    expect(gone.body.msg).not.toMatch(/content|polic|invalid parameter/i);
    expect((await veo('veo3', VEO.veo3?.valid ?? {})).body.msg).toBe('The model is not supported');
    expect(sim.models().map((m) => m.id)).not.toContain('sora-2-image-to-video');
    sim.restoreModel('sora-2-image-to-video');
    sim.restoreModel('veo3');
    expect((await createTask(sim, 'k-models', taskBody())).body.code).toBe(200);
  });

  it('starts with models withdrawn when told to', async () => {
    const s = await startKieSim({ withdrawn: ['sora-2-image-to-video'] });
    try {
      expect((await createTask(s, 'k', taskBody())).body.msg).toBe('The model is not supported');
      expect(s.models().find((m) => m.id === 'veo3_fast')).toEqual({ id: 'veo3_fast', family: 'veo', durations: [8] });
    } finally {
      await s.close();
    }
  });

  it('keeps a content refusal at createTask distinguishable from a parameter error', async () => {
    sim.setBehavior({ refusalMode: 'createTask' });
    const r = await market('kling-3.0/video', { ...MARKET['kling-3.0/video']?.valid, prompt: 'a FORBIDDEN scene' });
    sim.setBehavior({ refusalMode: 'task' });
    expect(r.status).toBe(422);
    expect(r.body.msg).toMatch(/content polic/i);
    expect(r.body.msg).not.toMatch(/invalid parameter|model is not supported/i);
  });
});
