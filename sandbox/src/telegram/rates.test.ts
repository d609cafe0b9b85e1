import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelegramSim } from './sim.js';
import type { TelegramSim, TelegramSimInternals } from './sim.js';
import { call } from './test-helpers.js';

let sim: TelegramSim;
let internals: TelegramSimInternals | undefined;
beforeAll(async () => {
  sim = await startTelegramSim({
    behavior: { rateLimit: { perChatPerSecond: 1000, globalPerSecond: 1000, perChatBurst: 1000 }, retryAfterSeconds: 7 },
    knownUsers: [{ userId: 801 }, { userId: 802 }, { userId: 803 }],
    routes: (_app, sim) => {
      internals = sim;
    },
  });
});
afterAll(async () => sim.close());

describe('send failure shares', () => {
  it('answers a send 429 with retry_after at a 100 % throttle share, and keeps that chat refused until then', async () => {
    sim.setBehavior({ throttleRate: 1 });
    const r = await call(sim, 'sendMessage', { chat_id: 803, text: 'hi' });
    expect(r.status).toBe(429);
    expect(r.body.parameters?.retry_after).toBe(7);
    expect(sim.botMessages(803)).toHaveLength(0);
    sim.setBehavior({ throttleRate: 0 });
    // Retrying before retry_after is refused again, as Telegram's flood control does.
    const early = await call(sim, 'sendMessage', { chat_id: 803, text: 'hi' });
    expect(early.status).toBe(429);
    expect(early.body.parameters?.retry_after).toBeGreaterThanOrEqual(1);
    expect(early.body.parameters?.retry_after).toBeLessThanOrEqual(7);
    // Other chats send at once.
    expect((await call(sim, 'sendMessage', { chat_id: 801, text: 'hi' })).status).toBe(200);
  });

  it('a user drawn by the blocked share blocks the bot for good: 403 until unblocked; reads are unaffected', async () => {
    sim.setBehavior({ blockedRate: 1 });
    const r = await call(sim, 'sendMessage', { chat_id: 802, text: 'hi' });
    expect(r.status).toBe(403);
    expect(r.body.description).toBe('Forbidden: bot was blocked by the user');
    expect((await call(sim, 'getMe')).status).toBe(200);
    sim.setBehavior({ blockedRate: 0 });
    expect(internals?.blockedUsers()).toEqual([802]);
    expect((await call(sim, 'sendMessage', { chat_id: 802, text: 'hi' })).status).toBe(403);
    internals?.setBlocked(802, false);
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
