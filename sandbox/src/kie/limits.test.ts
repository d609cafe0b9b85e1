import { afterEach, describe, expect, it } from 'vitest';
import { startKieSim } from './sim.js';
import type { KieSim, KieSimOptions } from './sim.js';
import { IMAGE_URL, createTask, kie, taskBody } from './test-helpers.js';

let sim: KieSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
const start = async (opts: KieSimOptions): Promise<KieSim> => (sim = await startKieSim({ latencyMs: 60_000, ...opts }));
const veo = (s: KieSim, key: string) => kie(s, 'POST', '/api/v1/veo/generate', key, { prompt: 'a mug', imageUrls: [IMAGE_URL], model: 'veo3_fast' });
const codes = async (calls: Array<() => Promise<{ body: { code: number } }>>): Promise<number[]> => {
  const out: number[] = [];
  for (const c of calls) out.push((await c()).body.code);
  return out;
};

describe('accounts', () => {
  it('shares the 20 per 10 s window between the keys of one account and across both families', async () => {
    const s = await start({ accounts: { a: ['a1', 'a2'], b: ['b1'] } });
    const a = await codes([
      ...Array.from({ length: 10 }, () => () => createTask(s, 'a1')),
      ...Array.from({ length: 10 }, () => () => veo(s, 'a2')),
    ]);
    expect(a.every((c) => c === 200)).toBe(true);
    expect((await createTask(s, 'a1')).status).toBe(429);
    expect((await veo(s, 'a2')).body.code).toBe(429);
    // Another account has its own window.
    expect((await createTask(s, 'b1')).body.code).toBe(200);
    expect(s.accountStats().a).toMatchObject({ created: 20, maxInWindow: 20, rateLimited: 2 });
    expect(s.accountStats().b).toMatchObject({ created: 1, maxInWindow: 1, rateLimited: 0 });
    expect(s.keyStats()).toEqual({ a1: { rateLimited: 1, capped: 0 }, a2: { rateLimited: 1, capped: 0 } });
  });

  it('applies a forced account error to every key of the account', async () => {
    const s = await start({ accounts: { a: ['a1', 'a2'], b: ['b1'] }, behavior: { accountErrors: { a: 505 } } });
    expect(await codes([() => createTask(s, 'a1'), () => veo(s, 'a2'), () => createTask(s, 'b1')])).toEqual([505, 505, 200]);
  });

  it('answers 451 for an image KIE cannot fetch, on both families, without charging', async () => {
    const s = await start({});
    const bad = 'https://files.example/UNFETCHABLE.jpg';
    const market = await createTask(s, 'k', { model: 'wan/2-6-image-to-video', input: { prompt: 'p', image_urls: [bad] } });
    const veo451 = await kie(s, 'POST', '/api/v1/veo/generate', 'k', { prompt: 'p', imageUrls: [bad] });
    expect([market.status, market.body.code, veo451.body.code]).toEqual([451, 451, 451]);
    expect(market.body.msg).toMatch(/fetch the image/i);
    expect(s.creditsOf('k')).toBe(10_000);
  });

  it('answers 401 for a key outside the configured accounts', async () => {
    const s = await start({ accounts: { a: ['a1'] } });
    expect((await createTask(s, 'stranger')).status).toBe(401);
    expect((await kie(s, 'GET', '/api/v1/chat/credit', 'stranger')).status).toBe(401);
  });

  it('caps running tasks per account and frees a place when a task finishes', async () => {
    const s = await start({ accounts: { a: ['a1', 'a2'], b: ['b1'] }, runningCap: 3, latencyMs: 400 });
    expect(await codes([() => createTask(s, 'a1'), () => createTask(s, 'a2'), () => veo(s, 'a1')])).toEqual([200, 200, 200]);
    expect((await createTask(s, 'a2')).status).toBe(429);
    expect((await createTask(s, 'b1')).body.code).toBe(200);
    const deadline = Date.now() + 5000;
    while (s.tasks().some((t) => t.account === 'a' && t.state !== 'success') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await createTask(s, 'a2')).body.code).toBe(200);
  });

  it('keeps one credit balance per account: it goes down with each task of any key, answers 402 below the cost', async () => {
    const s = await start({ accounts: { a: ['a1', 'a2'], b: ['b1'] }, credits: 100 });
    expect((await kie<number>(s, 'GET', '/api/v1/chat/credit', 'a2')).body).toEqual({ code: 200, msg: 'success', data: 100 });
    expect((await veo(s, 'a1')).body.code).toBe(200); // Veo 3.1 Fast: 60 credits
    expect((await kie<number>(s, 'GET', '/api/v1/chat/credit', 'a2')).body.data).toBe(40);
    const short = await createTask(s, 'a2', taskBody()); // Sora 2, 10 s: 30 credits
    expect(short.body.code).toBe(200);
    const refused = await veo(s, 'a2');
    expect(refused.status).toBe(402);
    expect(refused.body.code).toBe(402);
    expect((await kie<number>(s, 'GET', '/api/v1/chat/credit', 'a1')).body.data).toBe(10);
    expect((await kie<number>(s, 'GET', '/api/v1/chat/credit', 'b1')).body.data).toBe(100);
    // A by-key setter sets the key's account.
    s.setCredits('a2', 500);
    expect(s.creditsOf('a')).toBe(500);
    expect(s.accountStats().a).toMatchObject({ spent: 90, credits: 500, noCredits: 1 });
  });

  it('prices a task by its model and fields', async () => {
    const s = await start({});
    await createTask(s, 'k', { model: 'kling-3.0/video', input: { prompt: 'p', image_urls: [IMAGE_URL], duration: '10', mode: 'pro', sound: true } });
    await createTask(s, 'k', { model: 'hailuo/2-3-image-to-video-standard', input: { prompt: 'p', image_url: IMAGE_URL, duration: '6' } });
    expect(s.tasks().map((t) => t.cost)).toEqual([240, 30]);
    expect(s.creditsOf('k')).toBe(10_000 - 270);
  });
});

describe('per-key caps', () => {
  it('answers 433 when a key would pass its cap, leaving the other keys of the account alone', async () => {
    const s = await start({ accounts: { a: ['a1', 'a2'] }, keyCaps: { a1: { total: 70 } } });
    expect((await createTask(s, 'a1')).body.code).toBe(200); // 30
    expect((await createTask(s, 'a1')).body.code).toBe(200); // 60
    const capped = await createTask(s, 'a1');
    expect(capped.status).toBe(433);
    expect(capped.body.msg).toMatch(/usage limit/i);
    expect((await veo(s, 'a1')).body.code).toBe(433);
    expect((await createTask(s, 'a2')).body.code).toBe(200);
    expect(s.keyStats().a1).toEqual({ rateLimited: 0, capped: 2 });
    expect(s.creditsOf('a')).toBe(10_000 - 90);
  });

  it('applies hourly and daily caps over rolling windows', async () => {
    const s = await start({ keyCaps: { h: { hourly: 30 }, d: { daily: 59 } } });
    expect(await codes([() => createTask(s, 'h'), () => createTask(s, 'h')])).toEqual([200, 433]);
    expect(await codes([() => createTask(s, 'd'), () => createTask(s, 'd')])).toEqual([200, 433]);
  });
});

describe('back-compat', () => {
  it('treats each listed key as its own account', async () => {
    const s = await start({ keys: ['x', 'y'], credits: 40 });
    expect((await createTask(s, 'x')).body.code).toBe(200);
    expect((await kie<number>(s, 'GET', '/api/v1/chat/credit', 'x')).body.data).toBe(10);
    expect((await kie<number>(s, 'GET', '/api/v1/chat/credit', 'y')).body.data).toBe(40);
    expect(s.tasks()[0]).toMatchObject({ account: 'x', key: 'x' });
  });
});
