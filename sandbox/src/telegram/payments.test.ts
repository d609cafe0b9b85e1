import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelegramSim } from './sim.js';
import type { TelegramSim } from './sim.js';
import { call } from './test-helpers.js';
import type { TgMessage, TgUpdate } from './types.js';

// Payments in Telegram Stars (https://core.telegram.org/bots/api#payments): the bot's methods and
// the user's side of a payment, driven over the real Bot API and the sim's control API.

let sim: TelegramSim;
beforeAll(async () => {
  sim = await startTelegramSim({
    behavior: { rateLimit: { perChatPerSecond: 1000, globalPerSecond: 1000, perChatBurst: 1000 }, preCheckoutTimeoutMs: 1_500 },
  });
});
afterAll(async () => sim.close());

const STARS = { currency: 'XTR', prices: [{ label: '10 videos', amount: 250 }] };
const invoice = (chatId: number, payload = 'order-1', extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  chat_id: chatId,
  title: 'Credits pack',
  description: '10 marketing videos',
  payload,
  ...STARS,
  ...extra,
});

/** Polls like a bot: returns (and confirms) the updates after `offset`. */
let offset = 0;
async function drain(): Promise<TgUpdate[]> {
  const r = await call<TgUpdate[]>(sim, 'getUpdates', { offset, timeout: 0 });
  const updates = r.body.result;
  if (updates.length > 0) offset = Math.max(offset, ...updates.map((u) => u.update_id + 1));
  return updates;
}

/** Waits for the pre_checkout_query of a payment in flight, like a bot's long poll. */
async function nextPreCheckout(): Promise<NonNullable<TgUpdate['pre_checkout_query']>> {
  for (;;) {
    const r = await call<TgUpdate[]>(sim, 'getUpdates', { offset, timeout: 5 });
    for (const u of r.body.result) {
      offset = Math.max(offset, u.update_id + 1);
      if (u.pre_checkout_query) return u.pre_checkout_query;
    }
  }
}

async function sendInvoice(chatId: number, payload?: string): Promise<TgMessage> {
  const r = await call<TgMessage>(sim, 'sendInvoice', invoice(chatId, payload));
  expect(r.body.ok).toBe(true);
  return r.body.result;
}

describe('sendInvoice and createInvoiceLink', () => {
  it('sends an invoice message with the Invoice object', async () => {
    await sim.userSends({ userId: 3001 }, { text: '/buy' });
    await drain();
    const r = await call<TgMessage>(sim, 'sendInvoice', invoice(3001, 'pack:10', { start_parameter: 'buy10' }));
    expect(r.status).toBe(200);
    expect(r.body.result.invoice).toEqual({ title: 'Credits pack', description: '10 marketing videos', start_parameter: 'buy10', currency: 'XTR', total_amount: 250 });
    expect(r.body.result).not.toHaveProperty('text');
    expect(sim.botMessages(3001).at(-1)).toMatchObject({ kind: 'invoice', invoice: { total_amount: 250 } });
  });

  it.each([
    ['a provider token with XTR', { provider_token: 'tok' }, 'Bad Request: PAYMENT_PROVIDER_INVALID'],
    ['a currency other than XTR', { currency: 'USD' }, 'Bad Request: PAYMENT_PROVIDER_INVALID'],
    ['two prices', { prices: [{ label: 'a', amount: 1 }, { label: 'b', amount: 2 }] }, 'Bad Request: STARS_INVOICE_INVALID'],
    ['no price', { prices: [] }, 'Bad Request: STARS_INVOICE_INVALID'],
    ['prices that are not a list', { prices: 'ten' }, "Bad Request: can't parse prices JSON object"],
    ['a zero amount', { prices: [{ label: 'a', amount: 0 }] }, 'Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID'],
    ['an empty payload', { payload: '' }, 'Bad Request: INVOICE_PAYLOAD_INVALID'],
    ['a payload over 128 bytes', { payload: 'x'.repeat(129) }, 'Bad Request: INVOICE_PAYLOAD_INVALID'],
    ['an empty title', { title: '' }, 'Bad Request: invoice title must be non-empty'],
    ['a 33-character title', { title: 't'.repeat(33) }, 'Bad Request: invoice title must be at most 32 characters long'],
    ['a 256-character description', { description: 'd'.repeat(256) }, 'Bad Request: invoice description must be at most 255 characters long'],
    ['a keyboard whose first button is not Pay', { reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] } }, 'Bad Request: BUTTON_TYPE_INVALID'],
  ])('refuses %s with 400 and sends nothing', async (_name, bad, description) => {
    const before = sim.botMessages(3001).length;
    const r = await call(sim, 'sendInvoice', { ...invoice(3001), ...bad });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ ok: false, error_code: 400, description });
    expect(sim.botMessages(3001)).toHaveLength(before);
  });

  it('accepts an explicit Pay button first and refuses Pay buttons elsewhere', async () => {
    const ok = await call<TgMessage>(sim, 'sendInvoice', invoice(3001, 'p', { reply_markup: { inline_keyboard: [[{ text: 'Pay ⭐250', pay: true }], [{ text: 'Cancel', callback_data: 'x' }]] } }));
    expect(ok.body.result.reply_markup?.inline_keyboard[0]?.[0]).toEqual({ text: 'Pay ⭐250', pay: true });
    const text = await call(sim, 'sendMessage', { chat_id: 3001, text: 'hi', reply_markup: { inline_keyboard: [[{ text: 'Pay', pay: true }]] } });
    expect(text.body.description).toBe('Bad Request: BUTTON_TYPE_INVALID');
  });

  it('refuses an invoice to a chat that never talked to the bot', async () => {
    const r = await call(sim, 'sendInvoice', invoice(3999));
    expect(r.body.description).toBe('Bad Request: chat not found');
  });

  it('creates an invoice link, validated the same way', async () => {
    const { chat_id: _ignored, ...fields } = invoice(0, 'link-order');
    const r = await call<string>(sim, 'createInvoiceLink', fields);
    expect(r.body.result).toMatch(/^https:\/\/t\.me\/\$[\w-]+$/);
    const bad = await call(sim, 'createInvoiceLink', { ...fields, prices: [] });
    expect(bad.body.description).toBe('Bad Request: STARS_INVOICE_INVALID');
  });
});

describe('paying', () => {
  it('pay → pre_checkout_query → ok → successful_payment from the user, Stars taken', async () => {
    await sim.userSends({ userId: 3002, firstName: 'Ann' }, { text: '/buy' });
    await drain();
    const inv = await sendInvoice(3002, 'order-42');
    const before = sim.starBalance(3002);

    const paying = sim.userPays({ userId: 3002 }, { messageId: inv.message_id });
    const q = await nextPreCheckout();
    expect(q).toMatchObject({ from: { id: 3002, first_name: 'Ann' }, currency: 'XTR', total_amount: 250, invoice_payload: 'order-42' });
    expect(typeof q.id).toBe('string');
    expect((await call(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: q.id, ok: true })).body).toEqual({ ok: true, result: true });
    const outcome = await paying;
    expect(outcome.status).toBe('paid');
    if (outcome.status !== 'paid') return;

    const updates = await drain();
    expect(updates).toHaveLength(1);
    const msg = updates[0]?.message;
    expect(msg?.from?.id).toBe(3002);
    expect(msg?.chat.id).toBe(3002);
    expect(msg?.successful_payment).toEqual({
      currency: 'XTR',
      total_amount: 250,
      invoice_payload: 'order-42',
      telegram_payment_charge_id: outcome.telegramPaymentChargeId,
      provider_payment_charge_id: outcome.providerPaymentChargeId,
    });
    expect(sim.starBalance(3002)).toBe(before - 250);
    expect(outcome.balance).toBe(before - 250);

    // A paid invoice shows a receipt: it can't be paid again.
    await expect(sim.userPays({ userId: 3002 }, { messageId: inv.message_id })).rejects.toThrow(/already paid/);
    // A second answer to the same query is refused.
    expect((await call(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: q.id, ok: true })).body.description).toBe(
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    );
  });

  it('gives each payment its own charge id, and pays a link too', async () => {
    const { chat_id: _c, ...fields } = invoice(0, 'via-link');
    const link = (await call<string>(sim, 'createInvoiceLink', fields)).body.result;
    const charges = new Set<string>();
    for (const userId of [3003, 3004]) {
      const paying = sim.userPays({ userId }, { link });
      const q = await nextPreCheckout();
      expect(q.invoice_payload).toBe('via-link');
      await call(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: q.id, ok: true });
      const o = await paying;
      if (o.status === 'paid') charges.add(o.telegramPaymentChargeId);
    }
    expect(charges.size).toBe(2);
    await drain();
  });

  it('a refused pre-checkout takes nothing, sends no successful_payment and shows the error to the user', async () => {
    await sim.userSends({ userId: 3005 }, { text: '/buy' });
    await drain();
    const inv = await sendInvoice(3005, 'stale-order');
    const before = sim.starBalance(3005);
    const paying = sim.userPays({ userId: 3005 }, { messageId: inv.message_id });
    const q = await nextPreCheckout();
    const missing = await call(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: q.id, ok: false });
    expect(missing.body.description).toBe('Bad Request: ERROR_TEXT_EMPTY');
    await call(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: q.id, ok: false, error_message: 'This invoice has expired' });
    const outcome = await paying;
    expect(outcome).toMatchObject({ status: 'refused', errorMessage: 'This invoice has expired', preCheckoutQueryId: q.id });
    expect(sim.starBalance(3005)).toBe(before);
    expect(await drain()).toEqual([]);
    expect(sim.payments().refusals.filter((r) => r.userId === 3005)).toEqual([
      expect.objectContaining({ reason: 'refused', errorMessage: 'This invoice has expired', invoicePayload: 'stale-order', source: { messageId: inv.message_id } }),
    ]);
    // The chat page shows it on the invoice.
    const page = (await (await fetch(`${sim.apiRoot}/_sim/chats/3005/messages`)).json()) as { messages: Array<{ kind: string; invoice?: { refusal?: string; paid: boolean } }> };
    expect(page.messages.find((m) => m.kind === 'invoice')?.invoice).toMatchObject({ paid: false, refusal: 'This invoice has expired' });
  });

  it('fails the payment when the bot does not answer in time, and refuses the late answer', async () => {
    await sim.userSends({ userId: 3006 }, { text: '/buy' });
    await drain();
    const inv = await sendInvoice(3006);
    const before = sim.starBalance(3006);
    const paying = sim.userPays({ userId: 3006 }, { messageId: inv.message_id });
    const q = await nextPreCheckout();
    const outcome = await paying; // no answer: the sim gives up after preCheckoutTimeoutMs
    expect(outcome.status).toBe('timeout');
    const late = await call(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: q.id, ok: true });
    expect(late.status).toBe(400);
    expect(late.body.description).toBe('Bad Request: query is too old and response timeout expired or query ID is invalid');
    expect(sim.starBalance(3006)).toBe(before);
    expect(await drain()).toEqual([]);
    expect(sim.payments().refusals.find((r) => r.userId === 3006)?.reason).toBe('timeout');
  });

  it('refuses a payment above the balance without asking the bot', async () => {
    await sim.userSends({ userId: 3007 }, { text: '/buy' });
    await drain();
    const inv = await sendInvoice(3007);
    sim.setStarBalance(3007, 100);
    const outcome = await sim.userPays({ userId: 3007 }, { messageId: inv.message_id });
    expect(outcome.status).toBe('insufficient_balance');
    expect(await drain()).toEqual([]);
    expect(sim.starBalance(3007)).toBe(100);
  });

  it('can deliver successful_payment twice: the same update again, and a copy with a new update_id', async () => {
    await sim.userSends({ userId: 3008 }, { text: '/buy' });
    await drain();
    const inv = await sendInvoice(3008, 'dup');
    const paying = sim.userPays({ userId: 3008 }, { messageId: inv.message_id }, { redeliver: 'both' });
    const q = await nextPreCheckout();
    await call(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: q.id, ok: true });
    const outcome = await paying;
    if (outcome.status !== 'paid') throw new Error(outcome.status);
    expect(outcome.updateIds).toHaveLength(2);
    const updates = await drain();
    const paid = updates.filter((u) => u.message?.successful_payment);
    expect(paid).toHaveLength(3);
    expect(paid.map((u) => u.update_id).sort()).toEqual([outcome.updateIds[0], outcome.updateIds[0], outcome.updateIds[1]].sort());
    expect(new Set(paid.map((u) => u.message?.successful_payment?.telegram_payment_charge_id))).toEqual(new Set([outcome.telegramPaymentChargeId]));
    expect(new Set(paid.map((u) => u.message?.message_id))).toEqual(new Set([outcome.messageId]));
    // Paid once: the Stars went once.
    expect(sim.payments().charges.filter((c) => c.userId === 3008)).toHaveLength(1);
  });
});

describe('refundStarPayment', () => {
  it('refunds once: Stars back, refunded_payment in the chat; then CHARGE_ALREADY_REFUNDED', async () => {
    await sim.userSends({ userId: 3009 }, { text: '/buy' });
    await drain();
    const inv = await sendInvoice(3009, 'to-refund');
    const start = sim.starBalance(3009);
    const paying = sim.userPays({ userId: 3009 }, { messageId: inv.message_id });
    const q = await nextPreCheckout();
    await call(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: q.id, ok: true });
    const outcome = await paying;
    if (outcome.status !== 'paid') throw new Error(outcome.status);
    await drain();

    const r = await call(sim, 'refundStarPayment', { user_id: 3009, telegram_payment_charge_id: outcome.telegramPaymentChargeId });
    expect(r.body).toEqual({ ok: true, result: true });
    expect(sim.starBalance(3009)).toBe(start);
    const updates = await drain();
    expect(updates).toHaveLength(1);
    expect(updates[0]?.message).toMatchObject({
      from: { is_bot: true },
      chat: { id: 3009 },
      refunded_payment: { currency: 'XTR', total_amount: 250, invoice_payload: 'to-refund', telegram_payment_charge_id: outcome.telegramPaymentChargeId },
    });
    expect(sim.payments().refunds).toContainEqual(expect.objectContaining({ userId: 3009, telegramChargeId: outcome.telegramPaymentChargeId, totalAmount: 250 }));
    expect(sim.payments().charges.find((c) => c.telegramChargeId === outcome.telegramPaymentChargeId)?.refundedAt).toBeTypeOf('number');

    const again = await call(sim, 'refundStarPayment', { user_id: 3009, telegram_payment_charge_id: outcome.telegramPaymentChargeId });
    expect(again.body).toEqual({ ok: false, error_code: 400, description: 'Bad Request: CHARGE_ALREADY_REFUNDED' });
    expect(sim.starBalance(3009)).toBe(start);
  });

  it('answers CHARGE_NOT_FOUND for an unknown charge or another user’s', async () => {
    const unknown = await call(sim, 'refundStarPayment', { user_id: 3009, telegram_payment_charge_id: 'stxNOPE' });
    expect(unknown.body).toEqual({ ok: false, error_code: 400, description: 'Bad Request: CHARGE_NOT_FOUND' });
    const someone = sim.payments().charges.find((c) => c.userId === 3002);
    const wrongUser = await call(sim, 'refundStarPayment', { user_id: 3009, telegram_payment_charge_id: someone?.telegramChargeId });
    expect(wrongUser.body.description).toBe('Bad Request: CHARGE_NOT_FOUND');
    expect((await call(sim, 'refundStarPayment', { user_id: 3009 })).body.description).toBe('Bad Request: CHARGE_ID_EMPTY');
  });
});

describe('allowed_updates', () => {
  it('delivers pre_checkout_query by default, and not when a list leaves it out', async () => {
    const s = await startTelegramSim({ behavior: { preCheckoutTimeoutMs: 300 } });
    try {
      await s.userSends({ userId: 3100 }, { text: '/buy' });
      // An empty list is the default set: pre_checkout_query is in it.
      let r = await call<TgUpdate[]>(s, 'getUpdates', { allowed_updates: [] });
      let next = (r.body.result.at(-1)?.update_id ?? 0) + 1;
      const inv = (await call<TgMessage>(s, 'sendInvoice', invoice(3100))).body.result;
      const first = s.userPays({ userId: 3100 }, { messageId: inv.message_id });
      r = await call<TgUpdate[]>(s, 'getUpdates', { offset: next, timeout: 5 });
      expect(r.body.result.map((u) => Object.keys(u).filter((k) => k !== 'update_id')[0])).toEqual(['pre_checkout_query']);
      next = (r.body.result.at(-1)?.update_id ?? 0) + 1;
      expect((await first).status).toBe('timeout');

      // A list without pre_checkout_query: the query is never stored, so the payment times out unseen.
      await call(s, 'getUpdates', { offset: next, allowed_updates: ['message', 'callback_query'] });
      const inv2 = (await call<TgMessage>(s, 'sendInvoice', invoice(3100, 'second'))).body.result;
      expect((await s.userPays({ userId: 3100 }, { messageId: inv2.message_id })).status).toBe('timeout');
      r = await call<TgUpdate[]>(s, 'getUpdates', { offset: next });
      expect(r.body.result).toEqual([]);
      // Omitted: the previous setting stays.
      const inv3 = (await call<TgMessage>(s, 'sendInvoice', invoice(3100, 'third'))).body.result;
      expect((await s.userPays({ userId: 3100 }, { messageId: inv3.message_id })).status).toBe('timeout');
      expect((await call<TgUpdate[]>(s, 'getUpdates', { offset: next })).body.result).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('setWebhook’s list is the one setting too, shown by getWebhookInfo', async () => {
    const s = await startTelegramSim();
    try {
      await call(s, 'getUpdates', { allowed_updates: ['message', 'pre_checkout_query'] });
      await call(s, 'setWebhook', { url: 'http://127.0.0.1:9/hook' });
      expect((await call<{ allowed_updates?: string[] }>(s, 'getWebhookInfo')).body.result.allowed_updates).toEqual(['message', 'pre_checkout_query']);
      await call(s, 'setWebhook', { url: 'http://127.0.0.1:9/hook', allowed_updates: ['message'] });
      expect((await call<{ allowed_updates?: string[] }>(s, 'getWebhookInfo')).body.result.allowed_updates).toEqual(['message']);
    } finally {
      await s.close();
    }
  });
});

describe('control API for payments', () => {
  const post = async (path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${sim.apiRoot}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('pays over HTTP, reads balances and payments, and shows invoices and receipts to the page', async () => {
    await sim.userSends({ userId: 3200 }, { text: '/buy' });
    await drain();
    expect((await post('/_sim/users/3200/stars', { balance: 1000 }, 'PUT')).body).toEqual({ userId: 3200, balance: 1000 });
    const inv = await sendInvoice(3200, 'http-pay');
    const paying = post('/_sim/users/3200/pay', { messageId: inv.message_id, redeliver: 'copy' });
    const q = await nextPreCheckout();
    await call(sim, 'answerPreCheckoutQuery', { pre_checkout_query_id: q.id, ok: true });
    const paid = await paying;
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', totalAmount: 250, invoicePayload: 'http-pay', balance: 750 });
    expect((paid.body.updateIds as number[]).length).toBe(2);
    await drain();

    expect(await (await fetch(`${sim.apiRoot}/_sim/users/3200/stars`)).json()).toEqual({ userId: 3200, balance: 750 });
    const ledger = (await (await fetch(`${sim.apiRoot}/_sim/payments?userId=3200`)).json()) as { charges: Array<{ telegramChargeId: string }>; refusals: unknown[]; refunds: unknown[] };
    expect(ledger.charges.map((c) => c.telegramChargeId)).toEqual([paid.body.telegramPaymentChargeId]);

    const page = (await (await fetch(`${sim.apiRoot}/_sim/chats/3200/messages`)).json()) as { stars: number; messages: Array<Record<string, unknown>> };
    expect(page.stars).toBe(750);
    expect(page.messages.find((m) => m.kind === 'invoice')).toMatchObject({ invoice: { title: 'Credits pack', totalAmount: 250, currency: 'XTR', paid: true } });
    expect(page.messages.find((m) => m.kind === 'payment')).toMatchObject({ from: 'user', payment: { totalAmount: 250, refunded: false } });

    expect((await post('/_sim/users/3200/pay', { messageId: inv.message_id })).status).toBe(400);
    expect((await post('/_sim/users/3200/pay', {})).status).toBe(400);
    expect((await post(`/_sim/updates/${(paid.body.updateIds as number[])[0]}/redeliver`, {})).body).toEqual({ ok: true });
    expect((await drain()).map((u) => u.update_id)).toEqual([(paid.body.updateIds as number[])[0]]);
  });
});
