import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../shared/http.js';
import { makeTinyMp4 } from '../shared/mp4.js';
import { startTelegramSim } from './sim.js';
import type { TelegramSim } from './sim.js';
import { call } from './test-helpers.js';
import type { TgMessage, TgUpdate } from './types.js';

const NO_LIMITS = { rateLimit: { perChatPerSecond: 1000, globalPerSecond: 1000, perChatBurst: 1000 } };
let sim: TelegramSim;
beforeAll(async () => {
  sim = await startTelegramSim({ behavior: NO_LIMITS });
});
afterAll(async () => sim.close());

describe('keyboards and callback queries', () => {
  it('delivers a button press as a callback_query with the message and data, and records the answer', async () => {
    const user = { userId: 301 };
    await sim.userSends(user, { text: 'hi' });
    const keyboard = { inline_keyboard: [[{ text: 'UGC', callback_data: 'tpl:ugc' }, { text: 'Ad', callback_data: 'tpl:ad' }]] };
    const sent = await call<TgMessage>(sim, 'sendMessage', { chat_id: 301, text: '<b>Pick</b> a template', parse_mode: 'HTML', reply_markup: keyboard });
    expect(sent.body.result.text).toBe('Pick a template');
    const { updateId, callbackQueryId } = await sim.userPresses(user, sent.body.result.message_id, 'tpl:ad');
    const updates = await call<TgUpdate[]>(sim, 'getUpdates', { offset: updateId });
    const cq = updates.body.result[0]?.callback_query;
    expect(cq).toMatchObject({ id: callbackQueryId, data: 'tpl:ad', from: { id: 301 } });
    expect(cq?.message?.message_id).toBe(sent.body.result.message_id);
    expect(typeof cq?.chat_instance).toBe('string');

    expect((await call(sim, 'answerCallbackQuery', { callback_query_id: callbackQueryId, text: 'OK' })).body.ok).toBe(true);
    expect(sim.callbackAnswers()).toContainEqual({ callbackQueryId, text: 'OK' });
    const twice = await call(sim, 'answerCallbackQuery', { callback_query_id: callbackQueryId });
    expect(twice.body.description).toBe('Bad Request: query is too old and response timeout expired or query ID is invalid');
    await expect(sim.userPresses(user, sent.body.result.message_id, 'tpl:none')).rejects.toThrow(/no button/);
  });

  it('edits text and keyboards, and refuses a no-op edit like Telegram', async () => {
    await sim.userSends({ userId: 302 }, { text: 'hi' });
    const sent = await call<TgMessage>(sim, 'sendMessage', { chat_id: 302, text: 'Count?', reply_markup: { inline_keyboard: [[{ text: '1', callback_data: 'n:1' }]] } });
    const id = sent.body.result.message_id;
    const edited = await call<TgMessage>(sim, 'editMessageText', { chat_id: 302, message_id: id, text: 'Count: 1' });
    expect(edited.body.result.text).toBe('Count: 1');
    expect(edited.body.result.reply_markup).toBeUndefined();
    const same = await call(sim, 'editMessageText', { chat_id: 302, message_id: id, text: 'Count: 1' });
    expect(same.body.description).toMatch(/^Bad Request: message is not modified/);
    await call(sim, 'editMessageReplyMarkup', { chat_id: 302, message_id: id, reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'x' }]] } });
    const [m] = sim.botMessages(302);
    expect(m).toMatchObject({ kind: 'text', text: 'Count: 1', edited: true, replyMarkup: { inline_keyboard: [[{ text: 'x', callback_data: 'x' }]] } });
    const missing = await call(sim, 'editMessageText', { chat_id: 302, message_id: 9999, text: 'x' });
    expect(missing.body.description).toBe('Bad Request: message to edit not found');
  });

  it('refuses bad HTML like Telegram', async () => {
    await sim.userSends({ userId: 303 }, { text: 'hi' });
    const r = await call(sim, 'sendMessage', { chat_id: 303, text: 'price < 5', parse_mode: 'HTML' });
    expect(r.status).toBe(400);
    expect(r.body.description).toMatch(/^Bad Request: can't parse entities/);
  });
});

describe('flood control and failures', () => {
  it('answers 429 with parameters.retry_after above the per-chat rate', async () => {
    const s = await startTelegramSim({ behavior: { rateLimit: { perChatPerSecond: 1, globalPerSecond: 30, perChatBurst: 1 } } });
    try {
      await s.userSends({ userId: 5 }, { text: 'hi' });
      expect((await call(s, 'sendMessage', { chat_id: 5, text: 'one' })).status).toBe(200);
      const second = await call(s, 'sendMessage', { chat_id: 5, text: 'two' });
      expect(second.status).toBe(429);
      expect(second.body).toMatchObject({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
      expect(s.botMessages(5).map((m) => m.text)).toEqual(['one']);
    } finally {
      await s.close();
    }
  });

  it('holds the global rate across chats; a send refused globally costs its chat nothing; the log keeps each answer', async () => {
    const s = await startTelegramSim({ behavior: { rateLimit: { perChatPerSecond: 1, globalPerSecond: 3, perChatBurst: 1 } } });
    try {
      for (const id of [11, 12, 13, 14]) await s.userSends({ userId: id }, { text: 'hi' });
      for (const id of [11, 12, 13]) expect((await call(s, 'sendMessage', { chat_id: id, text: 'a' })).status).toBe(200);
      expect((await call(s, 'sendMessage', { chat_id: 14, text: 'a' })).status).toBe(429);
      await new Promise((r) => setTimeout(r, 400)); // one global token back (3/s), chat 14 untouched
      expect((await call(s, 'sendMessage', { chat_id: 14, text: 'b' })).status).toBe(200);
      const sends = s.apiCalls().filter((c) => c.method === 'sendMessage');
      expect(sends.map((c) => c.status)).toEqual([200, 200, 200, 429, 200]);
    } finally {
      await s.close();
    }
  });

  it('fails the next N sends with 500 and forces 429s on demand', async () => {
    await sim.userSends({ userId: 304 }, { text: 'hi' });
    sim.setBehavior({ failNext: 1 });
    const failed = await call(sim, 'sendMessage', { chat_id: 304, text: 'x' });
    expect(failed.body).toEqual({ ok: false, error_code: 500, description: 'Internal Server Error' });
    sim.setBehavior({ throttleNext: 1, retryAfterSeconds: 7 });
    expect((await call(sim, 'sendMessage', { chat_id: 304, text: 'x' })).body.parameters).toEqual({ retry_after: 7 });
    expect((await call(sim, 'sendMessage', { chat_id: 304, text: 'x' })).status).toBe(200);
    expect(sim.botMessages(304)).toHaveLength(1);
  });
});

describe('videos', () => {
  it('downloads a video by URL, by multipart upload, and re-sends by file_id', async () => {
    const mp4 = makeTinyMp4({ seconds: 2 });
    const origin = Fastify();
    origin.get('/result.mp4', async (_req, reply) => reply.type('video/mp4').send(Buffer.from(mp4.bytes)));
    const originUrl = await listen(origin);
    try {
      await sim.userSends({ userId: 305 }, { text: 'hi' });
      const byUrl = await call<TgMessage>(sim, 'sendVideo', { chat_id: 305, video: `${originUrl}/result.mp4`, caption: 'Video 1 of 2' });
      expect(byUrl.body.result.video).toMatchObject({ width: 64, height: 64, duration: 2, mime_type: 'video/mp4', file_size: mp4.bytes.length });

      const form = new FormData();
      form.set('chat_id', '305');
      form.set('video', 'attach://file0'); // grammY's way of naming an uploaded InputFile
      form.set('file0', new Blob([mp4.bytes], { type: 'video/mp4' }), 'clip.mp4');
      const up = await fetch(`${sim.apiRoot}/bot${sim.token}/sendVideo`, { method: 'POST', body: form });
      const upBody = (await up.json()) as { result: TgMessage };
      expect(upBody.result.video?.file_name).toBe('clip.mp4');

      const again = await call<TgMessage>(sim, 'sendVideo', { chat_id: 305, video: upBody.result.video?.file_id });
      expect(again.body.result.video?.file_id).toBe(upBody.result.video?.file_id);

      const msg = await sim.waitForBotMessage(305, (m) => m.kind === 'video' && m.caption === 'Video 1 of 2', 2000);
      expect(msg.video).toEqual({ fileId: byUrl.body.result.video?.file_id, sizeBytes: mp4.bytes.length, sourceUrl: `${originUrl}/result.mp4` });
      expect(sim.fileBytes(msg.video?.fileId ?? '')).toEqual(mp4.bytes);

      const broken = await call(sim, 'sendVideo', { chat_id: 305, video: `${originUrl}/missing.mp4` });
      expect(broken.body.description).toBe('Bad Request: wrong file identifier/HTTP URL specified');
      const unreachable = await call(sim, 'sendVideo', { chat_id: 305, video: 'http://127.0.0.1:1/x.mp4' });
      expect(unreachable.body.description).toBe('Bad Request: failed to get HTTP URL content');
    } finally {
      await origin.close();
    }
  });
});

describe('webhook', () => {
  it('posts updates with the secret header, re-posts after a failure, and blocks getUpdates with 409', async () => {
    const s = await startTelegramSim({ behavior: { webhookRetryMs: 50 } });
    const seen: Array<{ id: number; secret: string | undefined }> = [];
    const bot = Fastify();
    bot.post('/telegram/webhook', async (req, reply) => {
      const update = req.body as TgUpdate;
      seen.push({ id: update.update_id, secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined });
      return reply.code(seen.length === 1 ? 500 : 200).send({});
    });
    const botUrl = await listen(bot);
    try {
      const set = await call(s, 'setWebhook', { url: `${botUrl}/telegram/webhook`, secret_token: 's3cr3t' });
      expect(set.body).toEqual({ ok: true, result: true, description: 'Webhook was set' });
      const { updateId } = await s.userSends({ userId: 9 }, { text: 'via webhook' });
      const deadline = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual([{ id: updateId, secret: 's3cr3t' }, { id: updateId, secret: 's3cr3t' }]);
      const info = await call<{ url: string; pending_update_count: number; last_error_message?: string }>(s, 'getWebhookInfo');
      expect(info.body.result).toMatchObject({ url: `${botUrl}/telegram/webhook`, pending_update_count: 0 });
      expect(info.body.result.last_error_message).toMatch(/500/);
      const polling = await call(s, 'getUpdates');
      expect(polling.status).toBe(409);
      expect(polling.body.description).toMatch(/^Conflict: can't use getUpdates method while webhook is active/);
      expect((await call(s, 'deleteWebhook', { drop_pending_updates: true })).body.description).toBe('Webhook was deleted');
      expect((await call(s, 'getUpdates')).status).toBe(200);
    } finally {
      await s.close();
      await bot.close();
    }
  });

  it('re-posts an update when the webhook is too slow to answer', async () => {
    const s = await startTelegramSim({ behavior: { webhookTimeoutMs: 100, webhookRetryMs: 20 } });
    let hits = 0;
    const bot = Fastify();
    bot.post('/hook', async () => {
      hits++;
      if (hits === 1) await new Promise((r) => setTimeout(r, 400));
      return {};
    });
    const botUrl = await listen(bot);
    try {
      await call(s, 'setWebhook', { url: `${botUrl}/hook` });
      await s.userSends({ userId: 10 }, { text: 'slow' });
      const deadline = Date.now() + 5000;
      while (hits < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(hits).toBeGreaterThanOrEqual(2);
      expect(s.webhookDeliveries()[0]?.status).toBe('timeout');
    } finally {
      await s.close();
      await bot.close();
    }
  });
});

describe('command menus and albums', () => {
  it('keeps one command list per scope and language (setMyCommands / getMyCommands)', async () => {
    const user = [{ command: 'start', description: 'start over' }];
    const admin = [...user, { command: 'grant', description: 'grant credits' }];
    expect((await call(sim, 'setMyCommands', { commands: user, language_code: 'en' })).body.ok).toBe(true);
    const scope = { type: 'chat', chat_id: 42 };
    expect((await call(sim, 'setMyCommands', { commands: admin, scope, language_code: 'en' })).body.ok).toBe(true);
    expect((await call(sim, 'getMyCommands', { language_code: 'en' })).body.result).toEqual(user);
    expect((await call(sim, 'getMyCommands', { scope, language_code: 'en' })).body.result).toEqual(admin);
    expect((await call(sim, 'getMyCommands', { scope })).body.result).toEqual([]);
    // Telegram's validation: lowercase command names, a description, a known scope.
    expect((await call(sim, 'setMyCommands', { commands: [{ command: 'Start', description: 'x' }] })).body.description).toMatch(/BOT_COMMAND_INVALID/);
    expect((await call(sim, 'setMyCommands', { commands: user, scope: { type: 'chat' } })).status).toBe(400);
    expect((await call(sim, 'setMyCommands', { commands: user, scope: { type: 'nope' } })).status).toBe(400);
  });

  it('an album arrives as one update per photo, each with the media_group_id; a caption on the first', async () => {
    const user = { userId: 321 };
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const first = await sim.userSends(user, { photo: { bytes: png }, text: 'on a table', mediaGroupId: 'alb1' });
    await sim.userSends(user, { photo: { bytes: png }, mediaGroupId: 'alb1' });
    const updates = await call<TgUpdate[]>(sim, 'getUpdates', { offset: first.updateId });
    expect(updates.body.result.map((u) => [u.message?.media_group_id, u.message?.caption])).toEqual([
      ['alb1', 'on a table'],
      ['alb1', undefined],
    ]);
  });
});
