import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { TEST_NATS_URL } from '@neurocards/platform/testing';
import { startKieSim } from '../kie/sim.js';
import type { KieSim } from '../kie/sim.js';
import { createTask } from '../kie/test-helpers.js';
import { startTelegramSim } from '../telegram/sim.js';
import type { TelegramSim } from '../telegram/sim.js';
import { registerControlPanel } from './control.js';
import type { ControlState, ControlTargets } from './control.js';

let tg: TelegramSim;
let kie: KieSim;
const targets: ControlTargets = {};
beforeAll(async () => {
  tg = await startTelegramSim({
    knownUsers: [{ userId: 1001 }],
    routes: (app, sim) => {
      targets.telegram = sim;
      registerControlPanel(app, targets);
    },
  });
  kie = await startKieSim({ latencyMs: 60_000, accounts: { main: ['k1', 'k2'], spare: ['k3'] } });
  targets.kie = kie;
  targets.keyNames = { k1: 'main/primary', k2: 'main/secondary', k3: 'spare/only' };
});
afterAll(async () => {
  await tg.close();
  await kie.close();
});

const get = async (path: string) => fetch(`${tg.apiRoot}${path}`);
const state = async (): Promise<ControlState> => (await (await get('/_control/state')).json()) as ControlState;
async function post(path: string, body: unknown): Promise<{ status: number; body: { ok: boolean; error?: string } }> {
  const res = await fetch(`${tg.apiRoot}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { ok: boolean; error?: string } };
}

describe('control panel routes', () => {
  it('serves the page at /control, with its script', async () => {
    const page = await get('/control');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<h1>Sandbox control panel</h1>');
    expect(html).toContain('href="/"');
    expect((await get('/control.js')).status).toBe(200);
  });

  it('shows accounts and keys by the dispatcher names, models, Telegram, and NATS as unavailable', async () => {
    await createTask(kie, 'k1');
    const s = await state();
    expect(s.kie?.accounts.map((a) => [a.name, a.keys.map((k) => k.name)])).toEqual([
      ['main', ['main/primary', 'main/secondary']],
      ['spare', ['spare/only']],
    ]);
    const primary = s.kie?.accounts[0]?.keys[0];
    expect(primary?.requests.createTask).toBe(1);
    expect(primary?.outcomes.created).toBe(1);
    expect(s.kie?.accounts[0]?.stats.created).toBe(1);
    expect(s.kie?.models.some((m) => m.id === 'kling-3.0/video' && !m.withdrawn)).toBe(true);
    expect(s.telegram).toMatchObject({ throttlePercent: 0, blockedPercent: 0, blockedUsers: [] });
    expect(s.dispatcher).toMatchObject({ ok: false, error: expect.stringContaining('dispatcher not answering') });
    expect(s.jetstream.ok).toBe(false);
  });

  it('sets global latency and shares, an account override and a key override that wins', async () => {
    expect((await post('/_control/kie', { scope: 'all', latencySeconds: 2, latencyMaxSeconds: 5, percent: { refusal: 10, rateLimit: 50 } })).status).toBe(200);
    expect((await post('/_control/kie', { scope: { account: 'main' }, percent: { rateLimit: 0, noCredits: 100 } })).status).toBe(200);
    expect((await post('/_control/kie', { scope: { key: 'main/secondary' }, percent: { rateLimit: 100 } })).status).toBe(200);
    const k = (await state()).kie;
    expect(k).toMatchObject({ latencyMs: 2000, latencyMaxMs: 5000, global: { refusal: 10, rateLimit: 50, noCredits: 0 } });
    const [main, spare] = k?.accounts ?? [];
    expect(main?.overrides).toEqual({ rateLimit: 0, noCredits: 100 });
    expect(main?.keys[0]?.effective).toMatchObject({ rateLimit: 0, noCredits: 100, refusal: 10 });
    expect(main?.keys[1]?.effective).toMatchObject({ rateLimit: 100, noCredits: 100 });
    expect(spare?.keys[0]?.effective).toMatchObject({ rateLimit: 50, noCredits: 0 });
    expect(kie.core.rate('rateLimitRate', 'k2', 'main')).toBe(1);
    // null removes an override: the key inherits its account's 0 % again.
    expect((await post('/_control/kie', { scope: { key: 'k2' }, percent: { rateLimit: null } })).status).toBe(200);
    expect(kie.core.rate('rateLimitRate', 'k2', 'main')).toBe(0);
    expect((await state()).kie?.accounts[0]?.keys[1]?.overrides).toEqual({});
    await post('/_control/kie', { scope: { account: 'main' }, percent: { rateLimit: null, noCredits: null } });
    await post('/_control/kie', { scope: 'all', latencyMaxSeconds: null, percent: { refusal: 0, rateLimit: 0 } });
    expect((await state()).kie?.latencyMaxMs).toBeNull();
  });

  it('takes a latency alone: the maximum stays while above it, else the latency becomes fixed', async () => {
    expect((await post('/_control/kie', { scope: 'all', latencySeconds: 2, latencyMaxSeconds: 10 })).status).toBe(200);
    expect((await post('/_control/kie', { scope: 'all', latencySeconds: 4 })).status).toBe(200);
    expect((await state()).kie).toMatchObject({ latencyMs: 4000, latencyMaxMs: 10_000 });
    expect((await post('/_control/kie', { scope: 'all', latencySeconds: 20 })).status).toBe(200);
    expect((await state()).kie).toMatchObject({ latencyMs: 20_000, latencyMaxMs: null });
    await post('/_control/kie', { scope: 'all', latencySeconds: 60 });
  });

  it('rejects bad input with 400 and a message, and changes nothing', async () => {
    const before = JSON.stringify((await state()).kie);
    const bad: Array<[string, unknown]> = [
      ['/_control/kie', { scope: 'all', percent: { refusal: 101 } }],
      ['/_control/kie', { scope: 'all', percent: { refusal: -1 } }],
      ['/_control/kie', { scope: 'all', percent: { nonsense: 5 } }],
      ['/_control/kie', { scope: { account: 'nobody' }, percent: { refusal: 5 } }],
      ['/_control/kie', { scope: { key: 'nokey' }, percent: { refusal: 5 } }],
      ['/_control/kie', { scope: { account: 'main' }, latencySeconds: 1 }],
      ['/_control/kie', { scope: 'all', latencySeconds: 5, latencyMaxSeconds: 1 }],
      ['/_control/kie', { scope: 'all', latencySeconds: '5' }],
      ['/_control/kie/models/kling-3.0%2Fvideo', { withdrawn: 'yes' }],
      ['/_control/kie/models/no-such-model', { withdrawn: true }],
      ['/_control/telegram', { throttlePercent: 200 }],
      ['/_control/telegram', { block: { userId: 'x', blocked: true } }],
    ];
    for (const [path, body] of bad) {
      const r = await post(path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.error).toEqual(expect.any(String));
    }
    expect(JSON.stringify((await state()).kie)).toBe(before);
    expect((await state()).telegram).toMatchObject({ throttlePercent: 0, blockedPercent: 0 });
  });

  it('withdraws a model (KIE then answers it as unknown) and restores it', async () => {
    expect((await post('/_control/kie/models/kling-3.0%2Fvideo', { withdrawn: true })).status).toBe(200);
    expect((await state()).kie?.models.find((m) => m.id === 'kling-3.0/video')?.withdrawn).toBe(true);
    expect(kie.core.lookup('kling-3.0/video')).toBeUndefined();
    expect((await post('/_control/kie/models/kling-3.0%2Fvideo', { withdrawn: false })).status).toBe(200);
    expect(kie.core.lookup('kling-3.0/video')).toBeDefined();
  });

  it('sets the Telegram shares and blocks one user, and counts the answers', async () => {
    expect((await post('/_control/telegram', { throttlePercent: 100, blockedPercent: 0 })).status).toBe(200);
    const send = (chatId: number) =>
      fetch(`${tg.apiRoot}/bot${tg.token}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: chatId, text: 'hi' }) });
    expect((await send(1001)).status).toBe(429);
    expect((await post('/_control/telegram', { throttlePercent: 0, block: { userId: 1002, blocked: true } })).status).toBe(200);
    expect((await send(1002)).status).toBe(403);
    const t = (await state()).telegram;
    expect(t).toMatchObject({ throttlePercent: 0, blockedUsers: [1002], sends: 2, throttled: 1, blocked: 1 });
    await post('/_control/telegram', { block: { userId: 1002, blocked: false } });
  });

  it('shows JetStream from a real NATS once connected', async () => {
    targets.nats = () => connect({ servers: TEST_NATS_URL });
    const s = await state();
    // No dispatcher runs here (on a shared server one might answer: either shape is fine).
    expect(s.dispatcher.ok ? s.dispatcher.stats : s.dispatcher.error).toBeDefined();
    expect(s.jetstream.ok).toBe(true);
    if (s.jetstream.ok) expect(s.jetstream.streams.map((x) => x.name)).toContain('KIE');
  });
});
