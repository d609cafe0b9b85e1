import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelegramSim } from './sim.js';
import type { TelegramSim, TelegramSimInternals } from './sim.js';
import { call } from './test-helpers.js';

let sim: TelegramSim;
let internals: TelegramSimInternals | undefined;
beforeAll(async () => {
  sim = await startTelegramSim({
    behavior: { rateLimit: { perChatPerSecond: 1000, globalPerSecond: 1000, perChatBurst: 1000 }, retryAfterSeconds: 7 },
    knownUsers: [{ userId: 801 }, { userId: 802 }],
    routes: (_app, sim) => {
      internals = sim;
    },
  });
});
afterAll(async () => sim.close());

describe('send failure shares', () => {
  it('answers every send 429 with retry_after at a 100 % throttle share, and sends again at 0', async () => {
    sim.setBehavior({ throttleRate: 1 });
    const r = await call(sim, 'sendMessage', { chat_id: 801, text: 'hi' });
    expect(r.status).toBe(429);
    expect(r.body.parameters?.retry_after).toBe(7);
    expect(sim.botMessages(801)).toHaveLength(0);
    sim.setBehavior({ throttleRate: 0 });
    expect((await call(sim, 'sendMessage', { chat_id: 801, text: 'hi' })).status).toBe(200);
  });

  it('answers every send 403 "bot was blocked by the user" at a 100 % blocked share; reads are unaffected', async () => {
    sim.setBehavior({ blockedRate: 1 });
    const r = await call(sim, 'sendMessage', { chat_id: 802, text: 'hi' });
    expect(r.status).toBe(403);
    expect(r.body.description).toBe('Forbidden: bot was blocked by the user');
    expect((await call(sim, 'getMe')).status).toBe(200);
    sim.setBehavior({ blockedRate: 0 });
    expect((await call(sim, 'sendMessage', { chat_id: 802, text: 'hi' })).status).toBe(200);
  });

  it('gives extra routes the live behaviour and a way to block one user', async () => {
    expect(internals).toBeDefined();
    internals?.setBlocked(801, true);
    expect(internals?.blockedUsers()).toEqual([801]);
    expect((await call(sim, 'sendMessage', { chat_id: 801, text: 'hi' })).status).toBe(403);
    internals?.setBlocked(801, false);
    sim.setBehavior({ throttleRate: 0.25 });
    expect(internals?.behavior.throttleRate).toBe(0.25);
    sim.setBehavior({ throttleRate: 0 });
  });

  it('keeps the real limits: a chat past its burst is still throttled with the shares at 0', async () => {
    sim.setBehavior({ rateLimit: { perChatPerSecond: 1, globalPerSecond: 1000, perChatBurst: 1 } });
    expect((await call(sim, 'sendMessage', { chat_id: 802, text: 'one' })).status).toBe(200);
    expect((await call(sim, 'sendMessage', { chat_id: 802, text: 'two' })).status).toBe(429);
  });
});
