import type { SimMessage, TelegramSim } from '@neurocards/sandbox';
import { PRODUCT_JPEG } from '../src/seller';
import type { Rng } from './rng';
import { gatewayText, isGatewayFailure, notifierText } from './texts';

export type Count = 1 | 3 | 5;
export interface PlannedOrder {
  count: Count;
  template: 'UGC' | 'Ad';
  /** null: the seller presses Skip. */
  wishes: string | null;
}
export interface SellerPlan {
  userId: number;
  languageCode: 'ru' | 'en';
  startAfterMs: number;
  orders: PlannedOrder[];
  /** Credits the operator grants before the seller starts: enough for every planned order. */
  credits: number;
}

/** KIE's simulator refuses prompts carrying this marker (a content-rules failure, refunded). */
export const REFUSED_WISHES = 'FORBIDDEN: a logo we may not show';

/**
 * About 60 sellers with mostly 3–5 videos each; topped up with orders of 3 until the plan
 * covers at least `minVideos`.
 */
export function planSellers(
  rng: Rng,
  opts: { sellers: number; minVideos: number; spreadMs: number },
): SellerPlan[] {
  const shapes: Count[][] = [[3], [5], [1, 3], [3, 1], [5, 1], [3, 3], [1, 1, 3]];
  const weights = [25, 20, 20, 10, 10, 10, 5];
  const pickShape = () => {
    let x = rng.int(
      1,
      weights.reduce((a, b) => a + b, 0),
    );
    for (let i = 0; i < shapes.length; i++) if ((x -= weights[i]!) <= 0) return shapes[i]!;
    return shapes[0]!;
  };
  const order = (count: Count): PlannedOrder => ({
    count,
    template: rng.pick(['UGC', 'Ad'] as const),
    wishes: rng.chance(0.05) ? REFUSED_WISHES : rng.chance(0.25) ? 'bright kitchen, morning light' : null,
  });
  const plans: SellerPlan[] = Array.from({ length: opts.sellers }, (_, i) => ({
    userId: 7_300_001 + i,
    languageCode: rng.chance(0.6) ? 'ru' : 'en',
    startAfterMs: rng.int(0, opts.spreadMs),
    orders: pickShape().map(order),
    credits: 0,
  }));
  const total = () => plans.reduce((n, p) => n + p.orders.reduce((m, o) => m + o.count, 0), 0);
  while (total() < opts.minVideos) rng.pick(plans).orders.push(order(3));
  for (const p of plans) p.credits = p.orders.reduce((n, o) => n + o.count, 0) + rng.int(0, 2);
  return plans;
}

/** unanswered: no message and no answer to the button within the bound; other: a reply, but not the next step. */
export type Outcome = 'ok' | 'error' | 'outdated' | 'other' | 'unanswered';
export interface UpdateRecord {
  userId: number;
  /** What the seller did: photo, text, or the label of the pressed button. */
  what: string;
  at: number;
  outcome: Outcome;
  waitedMs: number;
}
export interface SellerResult {
  userId: number;
  updates: UpdateRecord[];
  /** Orders whose Confirm the bot acknowledged ("your order is on its way"). */
  acknowledged: number;
  /** Orders the seller could not get through the conversation. */
  abandoned: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const buttons = (m: SimMessage) =>
  (m.replyMarkup?.inline_keyboard ?? []).flat().filter((b) => b.callback_data);

/**
 * One seller in the Telegram simulator, acting as a person would: each step waits for the
 * bot's answer; when none comes, or the bot says something went wrong, they try the step
 * again a little later, and start the order over (a new photo) when a button is outdated.
 */
export async function runSeller(
  tg: TelegramSim,
  plan: SellerPlan,
  rng: Rng,
  opts: { answerTimeoutMs: number; stop: () => boolean },
): Promise<SellerResult> {
  const user = { userId: plan.userId, languageCode: plan.languageCode };
  const res: SellerResult = { userId: plan.userId, updates: [], acknowledged: 0, abandoned: 0 };
  const lastId = () => tg.botMessages(plan.userId).reduce((max, m) => Math.max(max, m.messageId), 0);

  /** What a message shows now: an edit in place changes it. */
  const shows = (m: SimMessage | undefined) => `${m?.text ?? ''}\u0000${JSON.stringify(m?.replyMarkup ?? null)}`;
  const current = (messageId: number) => tg.botMessages(plan.userId).find((m) => m.messageId === messageId);

  /**
   * Sends one update and waits for the reply `expect` recognises: a new message, or the
   * order's own message (`watch`) edited in place, as the bot builds the order in one message.
   */
  async function step(
    what: string,
    send: () => Promise<{ callbackQueryId?: string } | { messageId: number }>,
    expect: (m: SimMessage) => boolean,
    watch?: number,
  ): Promise<{ outcome: Outcome; reply?: SimMessage }> {
    const mark = lastId();
    const before = watch === undefined ? undefined : shows(current(watch));
    const at = Date.now();
    const sent = await send();
    const callbackQueryId = 'callbackQueryId' in sent ? sent.callbackQueryId : undefined;
    const until = at + opts.answerTimeoutMs;
    for (;;) {
      const fresh = tg.botMessages(plan.userId).filter((m) => m.messageId > mark);
      const edited = watch === undefined ? undefined : current(watch);
      const changed = edited && shows(edited) !== before ? [edited] : [];
      const reply = [...changed, ...fresh].findLast(expect);
      let outcome: Outcome | undefined = reply ? 'ok' : undefined;
      if (!outcome && fresh.some((m) => isGatewayFailure(m.text))) outcome = 'error';
      if (!outcome && callbackQueryId) {
        const answer = tg.callbackAnswers().find((a) => a.callbackQueryId === callbackQueryId);
        if (isGatewayFailure(answer?.text)) outcome = 'error';
        else if (gatewayText(answer?.text) === 'buttonOutdated') outcome = 'outdated';
      }
      // Any other reply of the gateway (e.g. "please use the buttons" to a repeated message):
      // answered, just not the step the seller expected; they start the order over.
      if (
        !outcome &&
        fresh.some((m) => m.kind === 'text' && !notifierText(m.text) && !isGatewayFailure(m.text))
      )
        outcome = 'other';
      if (!outcome && Date.now() > until) outcome = 'unanswered';
      if (outcome) {
        res.updates.push({ userId: plan.userId, what, at, outcome, waitedMs: Date.now() - at });
        return reply ? { outcome, reply } : { outcome };
      }
      await sleep(250);
    }
  }

  /**
   * A step that presses the button labelled `label` on the order's message and expects the
   * message edited to what `expect` recognises. A retried step whose button is gone (the bot
   * answered the first press late) takes the message as it is now.
   */
  const press = (msg: SimMessage, label: RegExp) => (expect: (m: SimMessage) => boolean) => async () => {
    const now = current(msg.messageId) ?? msg;
    const b = buttons(now).find((x) => label.test(x.text));
    if (!b) {
      const outcome: Outcome = expect(now) ? 'ok' : 'other';
      res.updates.push({ userId: plan.userId, what: label.source, at: Date.now(), outcome, waitedMs: 0 });
      return outcome === 'ok' ? { outcome, reply: now } : { outcome };
    }
    return step(b.text, () => tg.userPresses(user, msg.messageId, b.callback_data!), expect, msg.messageId);
  };
  const hasButton = (label: RegExp) => (m: SimMessage) => buttons(m).some((b) => label.test(b.text));

  /** Retries a step while it fails or goes unanswered; null when the draft is outdated or given up. */
  async function persist(run: () => Promise<{ outcome: Outcome; reply?: SimMessage }>) {
    for (let attempt = 1; attempt <= 4 && !opts.stop(); attempt++) {
      const r = await run();
      if (r.outcome === 'ok') return r.reply!;
      if (r.outcome === 'outdated' || r.outcome === 'other') return null;
      await sleep(rng.int(2000, 6000));
    }
    return null;
  }

  const COUNT_BUTTON = /^(🔒 )?[135]$/;
  const SKIP = /^(Пропустить|Skip)$/i;
  const NEXT = /^(Далее|Next)/i;
  const CONFIRM = /(Подтвердить|Confirm)/i;

  /**
   * One order: photo → template → wishes/skip → video (the pre-selected defaults: Next) →
   * count → confirm, in one message the bot edits at each step. True when acknowledged.
   */
  async function placeOrder(o: PlannedOrder): Promise<boolean> {
    const askTemplate = await persist(() =>
      step('photo', () => tg.userSends(user, { photo: { bytes: PRODUCT_JPEG } }), hasButton(/^UGC$/)),
    );
    if (!askTemplate) return false;
    const templateLabel = o.template === 'UGC' ? /^UGC$/ : /^(Реклама|Ad)$/;
    const askWishes = await persist(press(askTemplate, templateLabel)(hasButton(SKIP)));
    if (!askWishes) return false;
    const askVideo = await persist(
      o.wishes === null
        ? press(askWishes, SKIP)(hasButton(NEXT))
        : () => step('wishes', () => tg.userSends(user, { text: o.wishes! }), hasButton(NEXT), askWishes.messageId),
    );
    if (!askVideo) return false;
    const askCount = await persist(press(askVideo, NEXT)(hasButton(COUNT_BUTTON)));
    if (!askCount) return false;
    // The planned count, or the largest the balance still pays (a repeated order may have used credits).
    const open = buttons(askCount)
      .map((b) => b.text)
      .filter((t) => /^[135]$/.test(t))
      .map(Number);
    const count = open.includes(o.count) ? o.count : Math.max(0, ...open.filter((n) => n < o.count));
    if (count === 0) return false;
    const summary = await persist(press(askCount, new RegExp(`^${count}$`))(hasButton(CONFIRM)));
    if (!summary) return false;
    // "Already taken into work" answers a repeated Confirm whose first answer got lost.
    const acknowledged = (m: SimMessage) =>
      ['orderSent', 'orderAlreadyTaken'].includes(gatewayText(m.text) ?? '');
    const sent = await persist(press(summary, CONFIRM)(acknowledged));
    if (sent) return true;
    // No acknowledgement, yet the order may have been placed: a person waits for the
    // confirmation the bot promised before ordering again.
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const fresh = tg.botMessages(plan.userId).filter((m) => m.messageId > summary.messageId);
      if (fresh.some((m) => notifierText(m.text)?.purpose === 'order-taken')) return true;
      await sleep(1000);
    }
    return false;
  }

  await sleep(plan.startAfterMs);
  for (const o of plan.orders) {
    let done = false;
    for (let tries = 1; tries <= 3 && !done && !opts.stop(); tries++) done = await placeOrder(o);
    if (done) res.acknowledged++;
    else res.abandoned++;
    await sleep(rng.int(5000, 30_000));
  }
  return res;
}
