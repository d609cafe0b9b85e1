import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueCancelCallback, type AnyEvent } from '@neurocards/contracts';
import { openObjectStore, type Runtime } from '@neurocards/platform';
import { TEST_NATS_URL, uniqueName } from '@neurocards/platform/testing';
import { startTelegramSim, type SimMessage, type TelegramSim } from '@neurocards/sandbox';
import { t } from './i18n';
import { cancelRequestsOf, offeredModel, placedOrdersOf, png, putTestOffer, serveTestBilling, startTestGateway } from '../test/support';

/**
 * The real bot (polling mode, real NATS, real KV and object store) driven through the
 * Telegram simulator. Billing is not running: the test answers `billing.balance.get` itself,
 * for its own users only.
 */

let sim: TelegramSim;
let rt: Runtime;
let billing: ReturnType<typeof serveTestBilling>;
const updatesDurable = uniqueName('gw_updates');
const startedAt = new Date().toISOString();
const ourUsers = new Set<number>();
const newUser = (languageCode = 'en') => {
  const userId = 800_000_000 + Math.floor(Math.random() * 100_000_000);
  ourUsers.add(userId);
  return { userId, firstName: 'Seller', languageCode };
};
const admin = newUser('en');

const buttonData = (m: SimMessage) =>
  m.replyMarkup?.inline_keyboard.flat().map((b) => b.callback_data ?? '') ?? [];
const hasButton = (re: RegExp) => (m: SimMessage) => buttonData(m).some((d) => re.test(d));
const button = (m: SimMessage, re: RegExp) => buttonData(m).find((d) => re.test(d))!;

/** Every `orders.order.placed.v1` of one user since the test began, read with an ordered consumer. */
const ordersOf = (userId: number): Promise<AnyEvent[]> => placedOrdersOf(rt, startedAt, userId);

beforeAll(async () => {
  // Its own bot id and UPDATES durable: other suites store their bots' updates in the same stream.
  sim = await startTelegramSim({ token: `${7_100_000_000 + Math.floor(Math.random() * 1e8)}:AAH-sim-test-token` });
  // Kling at 1 credit first (the default), Veo dearer: the balance of 3 buys 1 or 3 videos.
  const offerKey = uniqueName('offer');
  rt = await startTestGateway({
    sim,
    natsUrl: TEST_NATS_URL,
    env: { ADMIN_TG_IDS: String(admin.userId), WELCOME_CREDITS: '2' },
    options: async (r) => {
      await putTestOffer(r.nc, offerKey, [
        offeredModel({ creditsPerVideo: 1 }),
        offeredModel({ id: 'veo3_fast', label: 'Veo 3.1 Fast', family: 'veo', creditsPerVideo: 3, durations: [8], defaultDuration: 8 }),
      ]);
      return { offerKey, updatesDurable };
    },
  });
  billing = serveTestBilling(rt.nc, ourUsers, 3);
}, 30_000);

afterAll(async () => {
  await rt?.jsm.consumers.delete('UPDATES', updatesDurable).catch(() => undefined);
  await rt?.shutdown.run('test done');
  await sim?.close();
});

describe('bot-gateway through the Telegram simulator', () => {
  it('photo → UGC → skip → 1 video → confirm places exactly one order; duplicates do nothing', async () => {
    const user = newUser('en');
    const chatId = user.userId;
    const photoBytes = png();
    const photoSent = await sim.userSends(user, { photo: { bytes: photoBytes } });

    const askTemplate = await sim.waitForBotMessage(chatId, hasButton(/^tpl:.+:ugc$/));
    await sim.userPresses(user, askTemplate.messageId, button(askTemplate, /:ugc$/));
    const askWishes = await sim.waitForBotMessage(chatId, hasButton(/^skip:/));
    await sim.userPresses(user, askWishes.messageId, button(askWishes, /^skip:/));
    // One message edited in place, step by step.
    const askVideo = await sim.waitForBotMessage(chatId, hasButton(/^next:/));
    expect(askVideo.messageId).toBe(askTemplate.messageId);
    await sim.userPresses(user, askVideo.messageId, button(askVideo, /^next:/));

    const askCount = await sim.waitForBotMessage(chatId, hasButton(/^(cnt|lock):/));
    // Balance 3: 1 and 3 can be ordered, 5 is locked and only explains.
    expect(buttonData(askCount).map((d) => d.split(':')[0])).toEqual(['cnt', 'cnt', 'lock', 'back', 'no']);
    await sim.userPresses(user, askCount.messageId, button(askCount, /^lock:/));
    await sim.userPresses(user, askCount.messageId, button(askCount, /^cnt:.+:1$/));

    const summary = await sim.waitForBotMessage(chatId, hasButton(/^ok:/));
    expect(summary.text).toContain('Quality: Kling 3.0, vertical 9:16, 5 s');
    expect(summary.text).toContain('Credits to be charged: 1');
    const confirm = await sim.userPresses(user, summary.messageId, button(summary, /^ok:/));
    // A double tap: the second press reaches the bot before the message is edited.
    const again = await sim.userPresses(user, summary.messageId, button(summary, /^ok:/));
    await sim.waitForBotMessage(chatId, (m) => m.text === t('en', 'orderSent', { count: 1 }));
    expect(sim.botMessages(chatId).find((m) => m.messageId === summary.messageId)?.text).toBe(
      t('en', 'orderSent', { count: 1 }),
    );

    const placed = await waitForOrders(user.userId, 1);
    expect(placed).toHaveLength(1);
    const order = placed[0]!;
    expect(order.data).toMatchObject({
      userId: user.userId,
      chatId,
      locale: 'en',
      template: 'ugc',
      wishes: null,
      count: 1,
      photo: { mimeType: 'image/png', sizeBytes: photoBytes.length },
      // The default model (first offered), portrait, its default length, at its price.
      spec: { model: 'kling-3.0/video', aspectRatio: 'portrait', duration: 5 },
      creditsPerVideo: 1,
    });
    // The photo bytes are in the object store under the key the order names.
    const photos = await openObjectStore(rt.nc, 'photos', 1);
    const orderData = order.data as { photo: { objectKey: string } };
    const stored = await photos.getBlob(orderData.photo.objectKey);
    expect(Buffer.from(stored!).equals(Buffer.from(photoBytes))).toBe(true);

    // Duplicates: the confirm and the photo update delivered again.
    const sentBefore = sim.botMessages(chatId).length;
    await sim.redeliver(confirm.updateId);
    await sim.redeliver(photoSent.updateId);
    await sim.userSends(user, { text: '/help' });
    // Updates of one chat are handled in order: once /help is answered, the rest were handled.
    await sim.waitForBotMessage(chatId, (m) => m.text?.startsWith(t('en', 'help').slice(0, 20)) ?? false);

    expect(sim.botMessages(chatId).length).toBe(sentBefore + 1);
    expect(sim.callbackAnswers()).toContainEqual(
      expect.objectContaining({ callbackQueryId: again.callbackQueryId, text: t('en', 'orderAlreadyTaken') }),
    );
    expect(await ordersOf(user.userId)).toHaveLength(1);

    // The locked count explained itself with an alert.
    expect(sim.callbackAnswers()).toContainEqual(
      expect.objectContaining({ text: t('en', 'countLockedAlert', { count: 5, total: 5 }), showAlert: true }),
    );
  }, 60_000);

  it('refuses bad files and stickers with a clear message and keeps the conversation where it was', async () => {
    const user = newUser('ru');
    const chatId = user.userId;
    await sim.userSends(user, { sticker: true });
    await sim.waitForBotMessage(chatId, (m) => m.text === t('ru', 'expectPhoto'));

    await sim.userSends(user, {
      document: {
        bytes: new TextEncoder().encode('%PDF-1.7'),
        fileName: 'a.pdf',
        mimeType: 'application/pdf',
      },
    });
    await sim.waitForBotMessage(chatId, (m) => m.text === t('ru', 'photoNotImage'));

    // Declared PNG, but the bytes say otherwise: refused after the download.
    const fake = new TextEncoder().encode('%PDF-1.7 pretending to be an image');
    await sim.userSends(user, { document: { bytes: fake, fileName: 'a.png', mimeType: 'image/png' } });
    await waitForCount(chatId, (m) => m.text === t('ru', 'photoNotImage'), 2);

    // Still no draft: text asks for a photo.
    await sim.userSends(user, { text: 'привет' });
    await waitForCount(chatId, (m) => m.text === t('ru', 'expectPhoto'), 2);

    // An image sent as a document is accepted.
    await sim.userSends(user, { document: { bytes: png(), fileName: 'p.png', mimeType: 'image/png' } });
    await sim.waitForBotMessage(chatId, hasButton(/^tpl:/));
  }, 60_000);

  it('/start grants the welcome credits once', async () => {
    const user = newUser('en');
    await sim.userSends(user, { text: '/start' });
    const first = await sim.waitForBotMessage(
      user.userId,
      (m) => m.text?.includes(t('en', 'howTo')) ?? false,
    );
    expect(first.text).toContain(t('en', 'welcomeBonus', { amount: 2 }));
    expect(first.text).toContain(t('en', 'balanceLine', { balance: 5 }));

    await sim.userSends(user, { text: '/start' });
    await waitForCount(user.userId, (m) => m.text?.includes(t('en', 'howTo')) ?? false, 2);
    const second = sim.botMessages(user.userId).at(-1)!;
    expect(second.text).not.toContain(t('en', 'welcomeBonus', { amount: 2 }));
    expect(second.text).toContain(t('en', 'balanceLine', { balance: 5 }));
    expect(billing.grants.filter((g) => g.userId === user.userId)).toHaveLength(1);
  }, 30_000);

  it('admin commands: /grant once per update, /balance, /stats; others get the unknown-command answer', async () => {
    const target = newUser('ru');
    const grant = await sim.userSends(admin, { text: `/grant ${target.userId} 10` });
    await sim.waitForBotMessage(
      admin.userId,
      (m) => m.text === t('en', 'adminGranted', { amount: 10, userId: target.userId, balance: 13 }),
    );
    await sim.redeliver(grant.updateId);
    await sim.userSends(admin, { text: `/balance ${target.userId}` });
    await sim.waitForBotMessage(
      admin.userId,
      (m) => m.text === t('en', 'adminBalance', { userId: target.userId, balance: 13, held: 0 }),
    );
    expect(billing.grants.filter((g) => g.userId === target.userId)).toHaveLength(1);
    // The redelivered /grant was dropped before it reached billing: no second answer at all.
    const grantAnswers = sim.botMessages(admin.userId).filter((m) => m.text?.includes(String(target.userId)));
    expect(grantAnswers.map((m) => m.text)).toEqual([
      t('en', 'adminGranted', { amount: 10, userId: target.userId, balance: 13 }),
      t('en', 'adminBalance', { userId: target.userId, balance: 13, held: 0 }),
    ]);

    await sim.userSends(admin, { text: '/grant 1' });
    await sim.waitForBotMessage(admin.userId, (m) => m.text === t('en', 'adminGrantUsage'));
    await sim.userSends(admin, { text: '/stats' });
    // Whether or not other suites serve the stats right now, the admin gets an answer for both.
    await sim.waitForBotMessage(
      admin.userId,
      (m) =>
        /Orders today|orchestrator does not answer/.test(m.text ?? '') &&
        /Queue|KIE dispatcher does not answer/.test(m.text ?? ''),
    );

    await sim.userSends(target, { text: `/grant ${target.userId} 100` });
    const answer = await sim.waitForBotMessage(
      target.userId,
      (m) => m.text?.startsWith(t('ru', 'unknownCommand')) ?? false,
    );
    expect(answer.text).toContain(t('ru', 'help'));
    expect(billing.balanceOf(target.userId)).toBe(13);
  }, 30_000);
});

describe('the notifier’s "Cancel queued videos" button', () => {
  it('publishes one cancel request for the seller who pressed it, and answers the press', async () => {
    const user = newUser('en');
    const orderId = crypto.randomUUID();
    // A bot cannot open a chat: the seller has written to it before ordering.
    await sim.userSends(user, { text: '/start' });
    await sim.waitForBotMessage(user.userId, () => true);
    // The notifier's "taken into work" message, as it sends it (same bot token).
    const res = await fetch(`${sim.apiRoot}/bot${sim.token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        chat_id: user.userId,
        text: 'taken into work',
        reply_markup: { inline_keyboard: [[{ text: 'Cancel queued videos', callback_data: queueCancelCallback(orderId) }]] },
      }),
    });
    expect(res.ok).toBe(true);
    const msg = await sim.waitForBotMessage(user.userId, hasButton(/^qc:/));
    const press = await sim.userPresses(user, msg.messageId, button(msg, /^qc:/));
    let found: AnyEvent[] = [];
    for (const until = Date.now() + 10_000; found.length === 0 && Date.now() < until; ) {
      found = await cancelRequestsOf(rt, startedAt, user.userId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(found.map((e) => e.data)).toEqual([{ orderId, userId: user.userId }]);
    await waitForAnswer(press.callbackQueryId);
    expect(sim.callbackAnswers()).toContainEqual(
      expect.objectContaining({ callbackQueryId: press.callbackQueryId, text: t('en', 'queueCancelRequested') }),
    );
  }, 30_000);
});

async function waitForAnswer(callbackQueryId: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (!sim.callbackAnswers().some((a) => a.callbackQueryId === callbackQueryId)) {
    if (Date.now() > until) throw new Error(`no answer to callback ${callbackQueryId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForOrders(userId: number, n: number): Promise<AnyEvent[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const found = await ordersOf(userId);
    if (found.length >= n || Date.now() > until) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitForCount(chatId: number, pred: (m: SimMessage) => boolean, n: number): Promise<void> {
  const until = Date.now() + 10_000;
  while (sim.botMessages(chatId).filter(pred).length < n) {
    if (Date.now() > until) throw new Error(`expected ${n} matching messages in chat ${chatId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
