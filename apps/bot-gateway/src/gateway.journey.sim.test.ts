import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderButtonData, orderButtonKey, type Locale } from '@neurocards/contracts';
import type { Runtime } from '@neurocards/platform';
import { TEST_NATS_URL, uniqueName } from '@neurocards/platform/testing';
import { startTelegramSim, type SimMessage, type TelegramSim } from '@neurocards/sandbox';
import { t } from './i18n';
import { languageChoicesOf, offeredModel, placedOrdersOf, png, putTestOffer, serveTestBilling, startTestGateway } from '../test/support';

/**
 * The seller's journey through the Telegram simulator, in both languages: the draft built in
 * one message edited in place, Back and Cancel from every step, the choices of quality,
 * format and length with their prices, captions, albums, /language, /balance and the
 * command menus. Billing is the test's own fake (balance, grants, ledger).
 */

let sim: TelegramSim;
let rt: Runtime;
let billing: ReturnType<typeof serveTestBilling>;
const updatesDurable = uniqueName('gw_journey');
const startedAt = new Date().toISOString();
const ourUsers = new Set<number>();
const newUser = (languageCode: string) => {
  const userId = 810_000_000 + Math.floor(Math.random() * 90_000_000);
  ourUsers.add(userId);
  return { userId, firstName: 'Seller', languageCode };
};
const admin = newUser('en');
const kling = offeredModel({ creditsPerVideo: 1 });
const veo = offeredModel({ id: 'veo3_fast', label: 'Veo 3.1 Fast', family: 'veo', creditsPerVideo: 3, durations: [8], defaultDuration: 8 });

const buttonsOf = (m: SimMessage) => m.replyMarkup?.inline_keyboard.flat() ?? [];
const data = (m: SimMessage) => buttonsOf(m).map((b) => b.callback_data ?? '');
const hasButton = (re: RegExp) => (m: SimMessage) => data(m).some((d) => re.test(d));
const button = (m: SimMessage, re: RegExp) => data(m).find((d) => re.test(d))!;
const indicator = (locale: Locale, step: number) => t(locale, 'stepIndicator', { step, total: 5 });
const atStep = (locale: Locale, step: number) => (m: SimMessage) => m.text?.startsWith(indicator(locale, step)) ?? false;
type User = ReturnType<typeof newUser>;

/** The draft message as it is now (it is edited in place). */
const now = (chatId: number, messageId: number) => sim.botMessages(chatId).find((m) => m.messageId === messageId)!;

/** Presses a button of the draft message and waits until the message shows `until`. */
async function pressAndWait(user: User, messageId: number, re: RegExp, until: (m: SimMessage) => boolean) {
  await sim.userPresses(user, messageId, button(now(user.userId, messageId), re));
  // Telegram allows about one message (or edit) per second in a chat: a quick seller's edits
  // wait out a 429 (the bot's auto-retry), so the bound is generous.
  return sim.waitForBotMessage(user.userId, (m) => m.messageId === messageId && until(m), 30_000).catch((err: Error) => {
    const calls = sim.apiCalls().filter((c) => String(c.params.chat_id) === String(user.userId)).map((c) => `${c.method} ${String(c.params.text ?? '').slice(0, 30)}`);
    throw new Error(`after pressing ${re}: ${err.message}\ncalls:\n${calls.join('\n')}`);
  });
}

/** A message with buttons sent through the Bot API as the notifier would (waiting out a 429). */
async function notifierSends(chatId: number, text: string, buttons: Array<{ text: string; callback_data: string }>) {
  for (;;) {
    const res = await fetch(`${sim.apiRoot}/bot${sim.token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: chatId, text, reply_markup: { inline_keyboard: [buttons] } }),
    });
    const body = (await res.json()) as { ok: boolean; result?: { message_id: number }; parameters?: { retry_after?: number } };
    if (body.ok) return body.result!;
    await new Promise((r) => setTimeout(r, (body.parameters?.retry_after ?? 1) * 1000));
  }
}

beforeAll(async () => {
  sim = await startTelegramSim({ token: `${7_200_000_000 + Math.floor(Math.random() * 1e8)}:AAH-sim-journey-token` });
  const offerKey = uniqueName('offer');
  rt = await startTestGateway({
    sim,
    natsUrl: TEST_NATS_URL,
    env: { ADMIN_TG_IDS: String(admin.userId), WELCOME_CREDITS: '2' },
    options: async (r) => {
      await putTestOffer(r.nc, offerKey, [kling, veo]);
      return { offerKey, updatesDurable };
    },
  });
  billing = serveTestBilling(rt.nc, ourUsers, 10);
}, 30_000);

afterAll(async () => {
  billing?.stop();
  await rt?.jsm.consumers.delete('UPDATES', updatesDurable).catch(() => undefined);
  await rt?.shutdown.run('test done');
  await sim?.close();
});

describe.each(['ru', 'en'] as const)('the journey in %s', (locale) => {
  it('every step in one edited message, with Back and Cancel from each', async () => {
    const user = newUser(locale);
    const chatId = user.userId;
    await sim.userSends(user, { photo: { bytes: png() } });
    const draft = await sim.waitForBotMessage(chatId, atStep(locale, 1));
    const id = draft.messageId;
    expect(data(draft).some((d) => d.startsWith('back:'))).toBe(false);

    // Forward to each step, then Back from it, then forward again.
    await pressAndWait(user, id, /^tpl:.+:ugc$/, atStep(locale, 2));
    await pressAndWait(user, id, /^back:/, atStep(locale, 1));
    await pressAndWait(user, id, /^tpl:.+:ugc$/, atStep(locale, 2));
    await pressAndWait(user, id, /^skip:/, atStep(locale, 3));
    await pressAndWait(user, id, /^back:/, atStep(locale, 2));
    await pressAndWait(user, id, /^skip:/, atStep(locale, 3));
    await pressAndWait(user, id, /^next:/, atStep(locale, 4));
    await pressAndWait(user, id, /^back:/, atStep(locale, 3));
    await pressAndWait(user, id, /^next:/, atStep(locale, 4));
    await pressAndWait(user, id, /^cnt:.+:1$/, atStep(locale, 5));
    await pressAndWait(user, id, /^back:/, atStep(locale, 4));
    // All of it in the one message the photo started.
    expect(sim.botMessages(chatId)).toHaveLength(1);

    // Cancel from each step (a seller per step, so their chats run side by side): the message
    // says so and its buttons are gone.
    await Promise.all(
      [1, 2, 3, 4, 5].map(async (step) => {
        const other = newUser(locale);
        await sim.userSends(other, { photo: { bytes: png() } });
        const d = await sim.waitForBotMessage(other.userId, atStep(locale, 1));
        const forward = [/^tpl:.+:ad$/, /^skip:/, /^next:/, /^cnt:.+:1$/];
        for (let s = 1; s < step; s++) await pressAndWait(other, d.messageId, forward[s - 1]!, atStep(locale, s + 1));
        const cancelled = await pressAndWait(other, d.messageId, /^no:/, (m) => m.text === t(locale, 'cancelled'));
        expect(cancelled.replyMarkup).toBeUndefined();
        expect(await placedOrdersOf(rt, startedAt, other.userId)).toEqual([]);
      }),
    );
    // A new photo replaces the draft: a button of the old one answers politely and changes nothing.
    await sim.userSends(user, { photo: { bytes: png() } });
    await sim.waitForBotMessage(chatId, (m) => m.messageId > id && atStep(locale, 1)(m));
    // A button of the first, replaced draft answers politely and changes nothing.
    const before = now(chatId, id).text;
    const stale = await sim.userPresses(user, id, button(now(chatId, id), /^cnt:.+:1$/));
    await expect.poll(() => sim.callbackAnswers().find((a) => a.callbackQueryId === stale.callbackQueryId)?.text).toBe(
      t(locale, 'buttonOutdated'),
    );
    expect(now(chatId, id).text).toBe(before);
    expect(await placedOrdersOf(rt, startedAt, user.userId)).toEqual([]);
  }, 120_000);

  it('each choice with its price: quality, format and length reach the order, at model price × count', async () => {
    const user = newUser(locale);
    const chatId = user.userId;
    await sim.userSends(user, { photo: { bytes: png() } });
    const { messageId: id } = await sim.waitForBotMessage(chatId, atStep(locale, 1));
    await pressAndWait(user, id, /^tpl:.+:ugc$/, atStep(locale, 2));
    const video = await pressAndWait(user, id, /^skip:/, atStep(locale, 3));
    // Every model by name with its price; the default pre-selected.
    const texts = buttonsOf(video).map((b) => b.text);
    expect(texts).toContain(t(locale, 'selected', { label: t(locale, 'modelButton', { model: 'Kling 3.0', price: 1 }) }));
    expect(texts).toContain(t(locale, 'modelButton', { model: 'Veo 3.1 Fast', price: 3 }));
    // Kling: landscape, 10 s.
    await pressAndWait(user, id, /^fmt:.+:l$/, (m) => m.text!.includes(t(locale, 'orientationLandscape')));
    await pressAndWait(user, id, /^len:.+:10$/, (m) => buttonsOf(m).some((b) => b.text === t(locale, 'selected', { label: t(locale, 'lengthButton', { duration: 10 }) })));
    // Veo costs 3: with 10 credits, 5 videos are locked.
    const count = await pressAndWait(user, id, /^mdl:.+:1$/, (m) => m.text!.includes('Veo 3.1 Fast'));
    expect(data(count).some((d) => d.startsWith('len:'))).toBe(false); // one length only
    const askCount = await pressAndWait(user, id, /^next:/, atStep(locale, 4));
    expect(data(askCount).slice(0, 3).map((d) => d.split(':')[0])).toEqual(['cnt', 'cnt', 'lock']);
    const summary = await pressAndWait(user, id, /^cnt:.+:3$/, atStep(locale, 5));
    expect(summary.text).toContain(t(locale, 'orientationLandscape'));
    expect(summary.text).toMatch(/9 \(3 × 3\)/);
    await pressAndWait(user, id, /^ok:/, (m) => m.text === t(locale, 'orderSent', { count: 3 }));
    await expect.poll(() => placedOrdersOf(rt, startedAt, user.userId), { timeout: 10_000 }).toHaveLength(1);
    const [order] = await placedOrdersOf(rt, startedAt, user.userId);
    expect(order!.data).toMatchObject({
      locale,
      count: 3,
      spec: { model: 'veo3_fast', aspectRatio: 'landscape', duration: 8 },
      creditsPerVideo: 3,
    });

    // The notifier's summary (sent here through the Bot API as the notifier does) offers the
    // same photo again: "more" goes straight to the confirmation with the same choices.
    const orderId = (order!.data as { orderId: string }).orderId;
    const summaryMsg = await notifierSends(chatId, 'summary', [
      { text: 'more', callback_data: orderButtonData('more', orderId) },
      { text: 'tpl', callback_data: orderButtonData('template', orderId) },
    ]);
    await sim.userPresses(user, summaryMsg.message_id, orderButtonData('more', orderId));
    const again = await sim.waitForBotMessage(chatId, (m) => m.messageId > summaryMsg.message_id && atStep(locale, 5)(m), 30_000);
    expect(again.text).toMatch(/9 \(3 × 3\)/);
    expect(now(chatId, summaryMsg.message_id).text).toBe('summary');
    await pressAndWait(user, again.messageId, /^ok:/, (m) => m.text === t(locale, 'orderSent', { count: 3 }));
    await expect.poll(() => placedOrdersOf(rt, startedAt, user.userId), { timeout: 10_000 }).toHaveLength(2);
    const orders = await placedOrdersOf(rt, startedAt, user.userId);
    expect(orders[1]!.data).toMatchObject({ count: 3, spec: { model: 'veo3_fast', aspectRatio: 'landscape' }, creditsPerVideo: 3 });
    expect((orders[1]!.data as { photo: unknown }).photo).toEqual((orders[0]!.data as { photo: unknown }).photo);
    // "Another template" of the latest order: the same photo at step 1.
    const latest = (orders[1]!.data as { orderId: string }).orderId;
    expect(orderButtonKey(latest)).not.toBe(orderButtonKey(orderId));
    const stale = await sim.userPresses(user, summaryMsg.message_id, orderButtonData('template', orderId));
    await expect.poll(() => sim.callbackAnswers().find((a) => a.callbackQueryId === stale.callbackQueryId)?.text).toBe(
      t(locale, 'buttonOutdated'),
    );
  }, 90_000);

  it('a caption is taken as the wishes; an album makes one draft and is explained once', async () => {
    const user = newUser(locale);
    const chatId = user.userId;
    await sim.userSends(user, { photo: { bytes: png() }, text: 'On a white table' });
    const { messageId: id } = await sim.waitForBotMessage(chatId, atStep(locale, 1));
    expect(now(chatId, id).text).toContain(t(locale, 'captionWishes', { wishes: 'On a white table' }));
    // The wishes step is skipped.
    await pressAndWait(user, id, /^tpl:.+:custom$/, atStep(locale, 3));
    await pressAndWait(user, id, /^next:/, atStep(locale, 4));
    const summary = await pressAndWait(user, id, /^cnt:.+:1$/, atStep(locale, 5));
    expect(summary.text).toContain('On a white table');
    await pressAndWait(user, id, /^ok:/, (m) => m.text === t(locale, 'orderSent', { count: 1 }));

    // An album of four photos, sent at once.
    const before = sim.botMessages(chatId).length;
    for (let i = 0; i < 4; i++) await sim.userSends(user, { photo: { bytes: png() }, mediaGroupId: `album-${user.userId}` });
    await sim.waitForBotMessage(chatId, (m) => m.text === t(locale, 'albumNote'));
    await sim.userSends(user, { text: '/help' });
    await sim.waitForBotMessage(chatId, (m) => m.messageId > before && (m.text?.startsWith(t(locale, 'help').slice(0, 20)) ?? false));
    const fresh = sim.botMessages(chatId).slice(before);
    expect(fresh.filter(atStep(locale, 1))).toHaveLength(1);
    expect(fresh.filter((m) => m.text === t(locale, 'albumNote'))).toHaveLength(1);
    expect(fresh).toHaveLength(3);
  }, 60_000);

  it('/balance shows the balance and the ledger lines with dates', async () => {
    const user = newUser(locale);
    await sim.userSends(user, { text: '/start' });
    await sim.waitForBotMessage(user.userId, (m) => m.text?.includes(t(locale, 'howTo')) ?? false);
    await sim.userSends(user, { text: '/balance' });
    const reply = await sim.waitForBotMessage(user.userId, (m) => m.text?.startsWith(t(locale, 'balanceTitle', { balance: 12 })) ?? false);
    const today = new Date().toISOString().slice(0, 10);
    const date = locale === 'en' ? today : today.split('-').reverse().join('.');
    expect(reply.text).toContain(t(locale, 'ledgerWelcome', { date, amount: 2 }));
  }, 30_000);
});

describe('language', () => {
  it('/language switches every later message, whatever Telegram says the language is; orders carry it', async () => {
    const user = newUser('ru');
    const chatId = user.userId;
    await sim.userSends(user, { text: '/language' });
    const menu = await sim.waitForBotMessage(chatId, hasButton(/^lang:en$/));
    await sim.userPresses(user, menu.messageId, 'lang:en');
    await sim.waitForBotMessage(chatId, (m) => m.messageId === menu.messageId && m.text === t('en', 'languageSet'));
    // The choice is published for the notifier (admin alerts in the admin's language).
    await expect.poll(() => languageChoicesOf(rt, startedAt, chatId), { timeout: 10_000 }).toHaveLength(1);
    expect((await languageChoicesOf(rt, startedAt, chatId))[0]!.data).toMatchObject({ userId: user.userId, chatId, locale: 'en' });
    await sim.userSends(user, { text: 'hello' });
    await sim.waitForBotMessage(chatId, (m) => m.text === t('en', 'expectPhoto'));
    await sim.userSends(user, { photo: { bytes: png() } });
    const { messageId: id } = await sim.waitForBotMessage(chatId, atStep('en', 1));
    await pressAndWait(user, id, /^tpl:.+:ugc$/, atStep('en', 2));
    await pressAndWait(user, id, /^skip:/, atStep('en', 3));
    await pressAndWait(user, id, /^next:/, atStep('en', 4));
    await pressAndWait(user, id, /^cnt:.+:1$/, atStep('en', 5));
    await pressAndWait(user, id, /^ok:/, (m) => m.text === t('en', 'orderSent', { count: 1 }));
    await expect.poll(() => placedOrdersOf(rt, startedAt, user.userId), { timeout: 10_000 }).toHaveLength(1);
    expect((await placedOrdersOf(rt, startedAt, user.userId))[0]!.data).toMatchObject({ locale: 'en' });
    // An admin's grant carries the seller's chosen language, for the notifier's grant notice.
    await sim.userSends(admin, { text: `/grant ${user.userId} 5` });
    await expect.poll(() => billing.grants.find((g) => g.userId === user.userId)).toMatchObject({ locale: 'en' });
    // And back to Russian.
    await sim.userSends(user, { text: '/language' });
    const again = await sim.waitForBotMessage(chatId, (m) => m.messageId > id && hasButton(/^lang:ru$/)(m));
    await sim.userPresses(user, again.messageId, 'lang:ru');
    await sim.waitForBotMessage(chatId, (m) => m.text === t('ru', 'languageSet'));
    await expect.poll(async () => (await languageChoicesOf(rt, startedAt, chatId)).map((e) => (e.data as { locale: string }).locale), {
      timeout: 10_000,
    }).toEqual(['en', 'ru']);
  }, 60_000);

  it('sets the command menus per language, and the admins\' own chat-scoped menus', () => {
    const calls = sim.apiCalls().filter((c) => c.method === 'setMyCommands');
    const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as unknown;
    const lists = calls.map((c) => ({
      scope: parse(c.params.scope) as { type: string; chat_id?: number } | undefined,
      lang: c.params.language_code as string | undefined,
      commands: (parse(c.params.commands) as Array<{ command: string; description: string }>).map((x) => x.command),
    }));
    const users = lists.filter((l) => !l.scope);
    expect(users.map((l) => l.lang ?? '').sort()).toEqual(['', 'en', 'ru']);
    for (const l of users) expect(l.commands).toEqual(['start', 'balance', 'orders', 'buy', 'language', 'help', 'cancel', 'paysupport', 'terms']);
    const admins = lists.filter((l) => l.scope?.type === 'chat' && Number(l.scope.chat_id) === admin.userId);
    expect(admins).toHaveLength(3);
    for (const l of admins) expect(l.commands).toEqual(expect.arrayContaining(['balance', 'orders', 'grant', 'stats', 'keys', 'unblock', 'model', 'refund', 'paysupport']));
  });
});
