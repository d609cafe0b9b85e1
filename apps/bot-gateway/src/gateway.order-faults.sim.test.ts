import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyEvent } from '@neurocards/contracts';
import type { Publish, Runtime } from '@neurocards/platform';
import { uniqueName } from '@neurocards/platform/testing';
import { startTelegramSim, type SimMessage, type SimUser, type TelegramSim } from '@neurocards/sandbox';
import type { UpdateDedup } from './adapters/update-dedup';
import { t } from './i18n';
import {
  offeredModel,
  placedOrdersOf,
  png,
  putTestOffer,
  serveTestBilling,
  startPrivateNats,
  startTestGateway,
} from '../test/support';

/**
 * Issue 7, "lost order": a Confirm must never vanish. The gateway (polling mode) runs on a
 * private NATS server that the test stops and starts again, and with its real de-duplication
 * adapter wrapped so the test can make it fail like a KV that does not answer.
 */

let nats: Awaited<ReturnType<typeof startPrivateNats>>;
let sim: TelegramSim;
let rt: Runtime;
let billing: ReturnType<typeof serveTestBilling>;
const startedAt = new Date().toISOString();
const ourUsers = new Set<number>();
let claimsFail = false;
/** Set by a test: the next order publish first stops NATS, which comes back a moment later. */
let restartNatsOnNextOrder = false;
let restarted: Promise<void> | null = null;

const newUser = (): SimUser => {
  const userId = 810_000_000 + Math.floor(Math.random() * 10_000_000);
  ourUsers.add(userId);
  return { userId, firstName: 'Seller', languageCode: 'en' };
};
const buttonData = (m: SimMessage) =>
  m.replyMarkup?.inline_keyboard.flat().map((b) => b.callback_data ?? '') ?? [];
const hasButton = (re: RegExp) => (m: SimMessage) => buttonData(m).some((d) => re.test(d));
const button = (m: SimMessage, re: RegExp) => buttonData(m).find((d) => re.test(d))!;
const textIs = (text: string) => (m: SimMessage) => m.text === text;

const ordersOf = (userId: number): Promise<AnyEvent[]> => placedOrdersOf(rt, startedAt, userId);

/** Photo → UGC → Skip → Next (default video) → 1 video: the summary with its Confirm button. */
async function toSummary(user: SimUser): Promise<SimMessage> {
  await sim.userSends(user, { photo: { bytes: png() } });
  const askTemplate = await sim.waitForBotMessage(user.userId, hasButton(/^tpl:.+:ugc$/));
  await sim.userPresses(user, askTemplate.messageId, button(askTemplate, /:ugc$/));
  const askWishes = await sim.waitForBotMessage(user.userId, hasButton(/^skip:/));
  await sim.userPresses(user, askWishes.messageId, button(askWishes, /^skip:/));
  const askVideo = await sim.waitForBotMessage(user.userId, hasButton(/^next:/));
  await sim.userPresses(user, askVideo.messageId, button(askVideo, /^next:/));
  const askCount = await sim.waitForBotMessage(user.userId, hasButton(/^cnt:.+:1$/));
  await sim.userPresses(user, askCount.messageId, button(askCount, /^cnt:.+:1$/));
  return sim.waitForBotMessage(user.userId, hasButton(/^ok:/));
}

/** Updates of one chat are handled in order: once /help is answered, everything before it was. */
async function settle(user: SimUser): Promise<void> {
  const last = Math.max(0, ...sim.botMessages(user.userId).map((m) => m.messageId));
  await sim.userSends(user, { text: '/help' });
  await sim.waitForBotMessage(
    user.userId,
    (m) => m.messageId > last && (m.text?.startsWith(t('en', 'help').slice(0, 20)) ?? false),
  );
}

beforeAll(async () => {
  nats = await startPrivateNats();
  sim = await startTelegramSim();
  const offerKey = uniqueName('offer');
  const wrapDedup = (real: UpdateDedup): UpdateDedup => ({
    claim: (id, update) =>
      claimsFail ? Promise.reject(new Error('TIMEOUT: bot_updates did not answer')) : real.claim(id, update),
  });
  const wrapPublish =
    (real: Publish): Publish =>
    async (event) => {
      if (restartNatsOnNextOrder && event.type === 'orders.order.placed.v1') {
        restartNatsOnNextOrder = false;
        await nats.stop();
        restarted = new Promise((r) => setTimeout(r, 1000)).then(() => nats.start());
      }
      return real(event);
    };
  rt = await startTestGateway({
    sim,
    natsUrl: nats.url,
    options: async (r) => {
      await putTestOffer(r.nc, offerKey, [offeredModel({ creditsPerVideo: 1 })]);
      return { offerKey, wrapDedup, wrapPublish };
    },
  });
  billing = serveTestBilling(rt.nc, ourUsers, 5);
}, 60_000);

afterAll(async () => {
  billing?.stop();
  await rt?.shutdown.run('test done');
  await sim?.close();
  await nats?.stop();
  await nats?.remove();
});

describe('a Confirm is never lost', () => {
  it('de-duplication store down at Confirm: the seller is told to press again, no order; the next press places exactly one', async () => {
    const user = newUser();
    const summary = await toSummary(user);
    const confirm = button(summary, /^ok:/);

    claimsFail = true;
    let first: { callbackQueryId: string };
    try {
      first = await sim.userPresses(user, summary.messageId, confirm);
      await sim.waitForBotMessage(user.userId, textIs(t('en', 'temporaryFailure')));
    } finally {
      claimsFail = false;
    }
    expect(sim.callbackAnswers()).toContainEqual(
      expect.objectContaining({ callbackQueryId: first.callbackQueryId, text: t('en', 'temporaryFailure') }),
    );
    expect(await ordersOf(user.userId)).toHaveLength(0);

    // The store is back: pressing the same button again places the order, once; a double tap
    // (both presses before the message turns into "order sent") is told it is already taken.
    await sim.userPresses(user, summary.messageId, confirm);
    const again = await sim.userPresses(user, summary.messageId, confirm);
    await sim.waitForBotMessage(user.userId, textIs(t('en', 'orderSent', { count: 1 })));
    await settle(user);
    expect(sim.callbackAnswers()).toContainEqual(
      expect.objectContaining({ callbackQueryId: again.callbackQueryId, text: t('en', 'orderAlreadyTaken') }),
    );
    const orders = await ordersOf(user.userId);
    expect(orders).toHaveLength(1);
    expect(sim.botMessages(user.userId).filter(textIs(t('en', 'orderSent', { count: 1 })))).toHaveLength(1);
  }, 60_000);

  it('NATS restarts while the order is published: the publish is retried until acked, exactly one order', async () => {
    const user = newUser();
    const summary = await toSummary(user);

    restartNatsOnNextOrder = true;
    await sim.userPresses(user, summary.messageId, button(summary, /^ok:/));
    await sim.waitForBotMessage(user.userId, textIs(t('en', 'orderSent', { count: 1 })), 30_000);
    await restarted;

    expect(restartNatsOnNextOrder).toBe(false);
    expect(sim.botMessages(user.userId).filter(textIs(t('en', 'temporaryFailure')))).toEqual([]);
    expect(await ordersOf(user.userId)).toHaveLength(1);
  }, 60_000);
});
