import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../shared/image.js';
import { startTelegramSim } from './sim.js';
import type { TelegramSim } from './sim.js';
import { call } from './test-helpers.js';
import type { TgFile, TgMessage, TgUpdate } from './types.js';

let sim: TelegramSim;
beforeAll(async () => {
  sim = await startTelegramSim({ behavior: { rateLimit: { perChatPerSecond: 1000, globalPerSecond: 1000, perChatBurst: 1000 } } });
});
afterAll(async () => sim.close());

describe('Bot API basics', () => {
  it('answers getMe with the bot user', async () => {
    const r = await call<{ id: number; is_bot: boolean; username: string }>(sim, 'getMe');
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    expect(r.body.result.is_bot).toBe(true);
    expect(r.body.result.id).toBe(Number(sim.token.split(':')[0]));
  });

  it('answers 401 Unauthorized for a wrong token and 404 Not Found for an unknown method', async () => {
    const bad = await call(sim, 'getMe', {}, '1:wrong');
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
    const unknown = await call(sim, 'sendTelepathy');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ ok: false, error_code: 404, description: 'Not Found' });
  });

  it('accepts form-urlencoded bodies and GET query strings too', async () => {
    await sim.userSends({ userId: 501 }, { text: 'hi' });
    const form = await fetch(`${sim.apiRoot}/bot${sim.token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ chat_id: '501', text: 'form', reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] }) }),
    });
    expect(((await form.json()) as { result: TgMessage }).result.reply_markup?.inline_keyboard[0]?.[0]?.callback_data).toBe('a');
    const get = await fetch(`${sim.apiRoot}/bot${sim.token}/sendMessage?chat_id=501&text=query`);
    expect(((await get.json()) as { ok: boolean }).ok).toBe(true);
    expect(sim.botMessages(501).map((m) => m.text)).toEqual(['form', 'query']);
  });

  it('refuses to write to a chat that never talked to the bot', async () => {
    const r = await call(sim, 'sendMessage', { chat_id: 999_999, text: 'hello' });
    expect(r.status).toBe(400);
    expect(r.body.description).toBe('Bad Request: chat not found');
  });

  it('lets the bot write first to known users', async () => {
    const s = await startTelegramSim({ knownUsers: [{ userId: 4242, firstName: 'Known' }] });
    try {
      const r = await call<TgMessage>(s, 'sendMessage', { chat_id: 4242, text: 'credits granted' });
      expect(r.body.result.chat).toEqual({ id: 4242, type: 'private', first_name: 'Known' });
    } finally {
      await s.close();
    }
  });

  it('answers 403 when the user blocked the bot', async () => {
    await sim.userSends({ userId: 502 }, { text: 'hi' });
    sim.setBlocked({ userId: 502 }, true);
    const r = await call(sim, 'sendMessage', { chat_id: 502, text: 'hello' });
    expect(r.status).toBe(403);
    expect(r.body.description).toBe('Forbidden: bot was blocked by the user');
  });
});

describe('getUpdates', () => {
  it('returns real-shaped updates and forgets those confirmed by offset', async () => {
    const s = await startTelegramSim();
    try {
      await s.userSends({ userId: 42, firstName: 'Ann', languageCode: 'ru' }, { text: '/start ref' });
      await s.userSends({ userId: 42 }, { text: 'hello' });
      const first = await call<TgUpdate[]>(s, 'getUpdates');
      expect(first.body.result).toHaveLength(2);
      const [u1, u2] = first.body.result;
      expect(u1?.message?.text).toBe('/start ref');
      expect(u1?.message?.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }]);
      expect(u1?.message?.from).toMatchObject({ id: 42, is_bot: false, first_name: 'Ann', language_code: 'ru' });
      expect(u1?.message?.chat).toMatchObject({ id: 42, type: 'private' });
      expect(u2?.update_id).toBe((u1?.update_id ?? 0) + 1);
      // Without an offset the same updates come again; with offset = last + 1 they are gone.
      expect((await call<TgUpdate[]>(s, 'getUpdates')).body.result).toHaveLength(2);
      const after = await call<TgUpdate[]>(s, 'getUpdates', { offset: (u2?.update_id ?? 0) + 1 });
      expect(after.body.result).toEqual([]);
      expect((await call<TgUpdate[]>(s, 'getUpdates')).body.result).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('long-polls until an update arrives', async () => {
    const s = await startTelegramSim();
    try {
      const poll = call<TgUpdate[]>(s, 'getUpdates', { timeout: 20 });
      await new Promise((r) => setTimeout(r, 50));
      await s.userSends({ userId: 7 }, { text: 'late' });
      const r = await poll;
      expect(r.body.result.map((u) => u.message?.text)).toEqual(['late']);
    } finally {
      await s.close();
    }
  });

  it('cuts off an older long poll with 409 when a second poller comes', async () => {
    const s = await startTelegramSim();
    try {
      const older = call(s, 'getUpdates', { timeout: 20 });
      await new Promise((r) => setTimeout(r, 50));
      const newer = call(s, 'getUpdates', { timeout: 0 });
      expect((await older).status).toBe(409);
      expect((await newer).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('hands a redelivered update out again (a duplicate)', async () => {
    const s = await startTelegramSim();
    try {
      const { updateId } = await s.userSends({ userId: 8 }, { text: 'once' });
      await call(s, 'getUpdates', { offset: updateId + 1 });
      await s.redeliver(updateId);
      const again = await call<TgUpdate[]>(s, 'getUpdates', { offset: updateId + 1 });
      expect(again.body.result.map((u) => u.update_id)).toEqual([updateId]);
    } finally {
      await s.close();
    }
  });
});

describe('files', () => {
  it('round-trips a user photo through getFile and the file download URL', async () => {
    const { updateId } = await sim.userSends({ userId: 77 }, { photo: { bytes: TINY_PNG }, text: 'my product' });
    const updates = await call<TgUpdate[]>(sim, 'getUpdates', { offset: updateId, limit: 1 });
    const msg = updates.body.result[0]?.message;
    expect(msg?.caption).toBe('my product');
    const sizes = msg?.photo ?? [];
    expect(sizes.length).toBeGreaterThanOrEqual(1);
    const largest = sizes.at(-1);
    const file = await call<TgFile>(sim, 'getFile', { file_id: largest?.file_id });
    expect(file.body.result.file_path).toMatch(/^photos\/file_\d+\.png$/);
    const dl = await fetch(`${sim.apiRoot}/file/bot${sim.token}/${file.body.result.file_path}`);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(TINY_PNG);
    const wrongToken = await fetch(`${sim.apiRoot}/file/bot1:nope/${file.body.result.file_path}`);
    expect(wrongToken.status).toBe(401);
  });

  it('gives documents their name, MIME type and size', async () => {
    const bytes = new Uint8Array(1234).fill(7);
    const { updateId } = await sim.userSends({ userId: 78 }, { document: { bytes, fileName: 'photo.webp', mimeType: 'image/webp' } });
    const updates = await call<TgUpdate[]>(sim, 'getUpdates', { offset: updateId, limit: 1 });
    expect(updates.body.result[0]?.message?.document).toMatchObject({ file_name: 'photo.webp', mime_type: 'image/webp', file_size: 1234 });
  });

  it('says invalid file_id for unknown files', async () => {
    const r = await call(sim, 'getFile', { file_id: 'nope' });
    expect(r.status).toBe(400);
    expect(r.body.description).toBe('Bad Request: invalid file_id');
  });
});
