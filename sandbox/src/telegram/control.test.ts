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

  it('applies the name and language of the page to a chat that already exists', async () => {
    sim.addUser({ userId: 1004 });
    const { updateId } = await sim.userSends({ userId: 1004 }, { text: 'hi' });
    const before = await call<TgUpdate[]>(sim, 'getUpdates', { offset: updateId });
    expect(before.body.result[0]?.message?.from?.language_code).toBeUndefined();

    expect((await post('/_sim/users/1004/messages', { text: 'again', firstName: 'Anna', languageCode: 'en' })).status).toBe(200);
    const after = await call<TgUpdate[]>(sim, 'getUpdates', { offset: updateId + 1 });
    expect(after.body.result.at(-1)?.message?.from).toMatchObject({ id: 1004, first_name: 'Anna', language_code: 'en' });
    const view = (await (await fetch(`${sim.apiRoot}/_sim/chats/1004/messages`)).json()) as { user: unknown };
    expect(view.user).toEqual({ userId: 1004, firstName: 'Anna', languageCode: 'en', blocked: false });
  });

  it('shows the command menu a user sees, resolved by scope and language as Telegram does', async () => {
    const menu = async (userId: number, query = ''): Promise<{ scope: string; languageCode: string; commands: Array<{ command: string }> }> =>
      (await (await fetch(`${sim.apiRoot}/_sim/users/${userId}/commands${query}`)).json()) as never;
    expect((await menu(1005)).commands).toEqual([]);

    const list = (...names: string[]) => names.map((command) => ({ command, description: `${command} it` }));
    await call(sim, 'setMyCommands', { commands: list('start', 'help') });
    await call(sim, 'setMyCommands', { commands: list('start', 'help', 'buy'), language_code: 'en' });
    await call(sim, 'setMyCommands', { commands: list('start', 'grant'), scope: { type: 'chat', chat_id: 1005 } });
    await call(sim, 'setMyCommands', { commands: list('start', 'grant', 'stats'), scope: { type: 'chat', chat_id: 1005 }, language_code: 'en' });

    expect(await menu(1006)).toMatchObject({ scope: 'default', languageCode: '', commands: list('start', 'help') });
    expect(await menu(1006, '?languageCode=en')).toMatchObject({ scope: 'default', languageCode: 'en', commands: list('start', 'help', 'buy') });
    expect(await menu(1006, '?languageCode=fr')).toMatchObject({ scope: 'default', languageCode: '', commands: list('start', 'help') });
    expect(await menu(1005, '?languageCode=en')).toMatchObject({ scope: 'chat', languageCode: 'en', commands: list('start', 'grant', 'stats') });
    expect(await menu(1005, '?languageCode=ru')).toMatchObject({ scope: 'chat', languageCode: '', commands: list('start', 'grant') });
    // Without a query, the user's own language (as the page last sent it).
    await post('/_sim/users/1006/messages', { text: 'hi', languageCode: 'en' });
    expect((await menu(1006)).commands).toEqual(list('start', 'help', 'buy'));
  });
});
