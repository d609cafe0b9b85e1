import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../shared/image.js';
import { startTelegramSim } from './sim.js';
import type { TelegramSim } from './sim.js';
import { call } from './test-helpers.js';
import type { TgUpdate } from './types.js';

let sim: TelegramSim;
beforeAll(async () => {
  sim = await startTelegramSim();
});
afterAll(async () => sim.close());

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sim.apiRoot}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('web chat page and its control API', () => {
  it('serves the chat page at the web URL', async () => {
    const res = await fetch(sim.webUrl);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('/app.js');
  });

  it('turns a page message into an update and shows both sides of the chat', async () => {
    const sent = await post('/_sim/users/1001/messages', { text: '/start', firstName: 'Seller', languageCode: 'en', photoBase64: undefined });
    expect(sent.status).toBe(200);
    const updates = await call<TgUpdate[]>(sim, 'getUpdates');
    expect(updates.body.result.at(-1)?.message).toMatchObject({ text: '/start', from: { id: 1001, first_name: 'Seller', language_code: 'en' } });

    await call(sim, 'sendMessage', { chat_id: 1001, text: 'Pick', reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] } });
    const res = await fetch(`${sim.apiRoot}/_sim/chats/1001/messages`);
    const view = (await res.json()) as { messages: Array<{ from: string; text: string; messageId: number; buttons: unknown[] }> };
    expect(view.messages.map((m) => [m.from, m.text])).toEqual([['user', '/start'], ['bot', 'Pick']]);

    const pressed = await post('/_sim/users/1001/press', { messageId: view.messages[1]?.messageId, data: 'go' });
    expect(pressed.status).toBe(200);
    expect(typeof pressed.body.callbackQueryId).toBe('string');
    expect((await post('/_sim/users/1001/press', { messageId: 1, data: 'go' })).status).toBe(400);
  });

  it('accepts a photo as base64 and serves it back', async () => {
    const sent = await post('/_sim/users/1002/messages', { photoBase64: Buffer.from(TINY_PNG).toString('base64') });
    expect(sent.status).toBe(200);
    const view = (await (await fetch(`${sim.apiRoot}/_sim/chats/1002/messages`)).json()) as { messages: Array<{ kind: string; fileUrl: string }> };
    expect(view.messages[0]?.kind).toBe('photo');
    const img = await fetch(`${sim.apiRoot}${view.messages[0]?.fileUrl}`);
    expect(new Uint8Array(await img.arrayBuffer())).toEqual(TINY_PNG);
  });

  it('refuses getFile above 20 MB like the Bot API', async () => {
    const big = new Uint8Array(20 * 1024 * 1024 + 1);
    const { updateId } = await sim.userSends({ userId: 1003 }, { document: { bytes: big, fileName: 'big.png', mimeType: 'image/png' } });
    const updates = await call<TgUpdate[]>(sim, 'getUpdates', { offset: updateId });
    const fileId = updates.body.result[0]?.message?.document?.file_id;
    const r = await call(sim, 'getFile', { file_id: fileId });
    expect(r.body).toEqual({ ok: false, error_code: 400, description: 'Bad Request: file is too big' });
  });
});
