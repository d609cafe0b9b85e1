import { Bot, type Context } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import {
  buyCallback,
  decodeInvoicePayload,
  deterministicId,
  encodeInvoicePayload,
  INVOICE_MAX_AGE_SECONDS,
  packsCallback,
  parseCreditPacks,
  type Envelope,
} from '@neurocards/contracts';
import { silentLogger } from '@neurocards/platform/testing';
import type { LoadedSession, SessionStore } from '../adapters/session-store';
import { t } from '../i18n';
import { guard } from './guard';
import { paymentsComposer, preCheckoutComposer, PRE_CHECKOUT_ANSWER_MS } from './payments';
import type { Session } from '../domain/session';

const USER = 5_550_001;
const NOW = 1_790_000_000_000;
const packs = parseCreditPacks('10:150,30:400,100:1200');
const botInfo = { id: 1, is_bot: true, first_name: 'Bot', username: 'neuro_bot' } as UserFromGetMe;

interface Call {
  method: string;
  payload: Record<string, unknown>;
}

/** A bot with the payment handlers behind the guard, as createBot wires them; Telegram is recorded. */
function setup(
  o: {
    publish?: (e: Envelope) => Promise<void>;
    session?: Session | null;
    mode?: 'polling' | 'webhook';
    claim?: () => Promise<never>;
    refundInBilling?: (chargeId: string, by: number) => Promise<unknown>;
  } = {},
) {
  const calls: Call[] = [];
  const published: Envelope[] = [];
  const bot = new Bot<Context>('1:test', { botInfo });
  bot.api.config.use(async (_prev, method, payload) => {
    calls.push({ method, payload: payload as Record<string, unknown> });
    const result =
      method === 'sendMessage' || method === 'sendInvoice'
        ? { message_id: calls.length, date: 0, chat: { id: USER, type: 'private' } }
        : true;
    return { ok: true, result } as never;
  });
  const sessions: SessionStore = {
    load: async () => ({ session: o.session ?? null, revision: 0 }) as LoadedSession,
    save: async () => true,
  } as unknown as SessionStore;
  const publish = o.publish ?? (async (e: Envelope) => void published.push(e));
  const deps = {
    packs,
    publish,
    sessions,
    supportContact: '@pay_help',
    t,
    log: silentLogger(),
    now: () => NOW,
    publishDeadlineMs: 300,
    ...(o.refundInBilling ? { refundInBilling: o.refundInBilling } : {}),
  };
  bot.use(preCheckoutComposer(deps));
  bot.use(
    guard({
      dedup: { claim: o.claim ?? (async () => ({ kind: 'won', lease: { done: async () => undefined, release: async () => undefined } })) } as never,
      t,
      log: silentLogger(),
      rethrow: (o.mode ?? 'polling') === 'webhook',
    }),
  );
  bot.use(paymentsComposer({ ...deps, newPurchaseId: () => 'PurchaseId000001' }));
  const fellThrough: string[] = [];
  bot.on('callback_query:data', (ctx) => void fellThrough.push(ctx.callbackQuery.data));
  let updateId = 0;
  const from = { id: USER, is_bot: false, first_name: 'S', language_code: 'en' };
  const chat = { id: USER, type: 'private' as const, first_name: 'S' };
  const handle = (u: Omit<Update, 'update_id'>) => bot.handleUpdate({ update_id: ++updateId, ...u } as Update);
  return {
    calls,
    published,
    fellThrough,
    preCheckout: (payload: string, total = 400, currency = 'XTR') =>
      handle({ pre_checkout_query: { id: `q${updateId}`, from, currency, total_amount: total, invoice_payload: payload } }),
    press: (data: string) =>
      handle({ callback_query: { id: `c${updateId}`, from, chat_instance: 'x', data, message: { message_id: 1, date: 0, chat } as never } }),
    say: (text: string) =>
      handle({ message: { message_id: ++updateId, date: 0, chat, from, text, ...(text.startsWith('/') ? { entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }] } : {}) } }),
    refundNotice: (chargeId: string) =>
      handle({
        message: {
          message_id: ++updateId,
          date: 0,
          chat,
          from,
          refunded_payment: { currency: 'XTR', total_amount: 400, invoice_payload: 'x', telegram_payment_charge_id: chargeId },
        } as never,
      }),
    paid: (payload: string, chargeId = 'stxCHARGE1', total = 400) =>
      handle({
        message: {
          message_id: ++updateId,
          date: 0,
          chat,
          from,
          successful_payment: {
            currency: 'XTR',
            total_amount: total,
            invoice_payload: payload,
            telegram_payment_charge_id: chargeId,
            provider_payment_charge_id: `p-${chargeId}`,
          },
        } as never,
      }),
  };
}

const payload = (o: Partial<Parameters<typeof encodeInvoicePayload>[0]> = {}) =>
  encodeInvoicePayload({ credits: 30, stars: 400, purchaseId: 'PurchaseId000001', createdAt: NOW / 1000 - 60, ...o });
const answers = (calls: Call[]) => calls.filter((c) => c.method === 'answerPreCheckoutQuery').map((c) => c.payload);

describe('pre-checkout', () => {
  it('accepts a current pack at its price, at once', async () => {
    const s = setup();
    await s.preCheckout(payload());
    expect(answers(s.calls)).toEqual([{ pre_checkout_query_id: expect.any(String), ok: true }]);
    expect(PRE_CHECKOUT_ANSWER_MS).toBeLessThan(10_000);
  });

  it.each([
    ['a stale invoice (older than 24 h)', payload({ createdAt: NOW / 1000 - INVOICE_MAX_AGE_SECONDS - 1 }), 400, /expired/],
    ['a pack whose price changed', payload({ stars: 350 }), 350, /no longer sold or its price changed/],
    ['an unknown pack', payload({ credits: 50, stars: 600 }), 600, /no longer sold/],
    ['a payload that is not ours', 'hello', 400, /could not be checked/],
    ['another amount than the pack', payload(), 1, /no longer sold or its price changed/],
  ])('refuses %s with a clear message', async (_what, p, total, message) => {
    const s = setup();
    await s.preCheckout(p, total);
    const [a] = answers(s.calls);
    expect(a).toMatchObject({ ok: false, error_message: expect.stringMatching(message) });
    expect(s.published).toEqual([]);
  });
});

describe('packs and invoices', () => {
  it('/buy shows every pack with its price in Stars and per credit', async () => {
    const s = setup();
    await s.say('/buy');
    const msg = s.calls.find((c) => c.method === 'sendMessage')!.payload;
    const rows = (msg.reply_markup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }).inline_keyboard;
    expect(rows.map((r) => r[0]!.text)).toEqual([
      '10 credits — 150 ⭐ (15 ⭐ per credit)',
      '30 credits — 400 ⭐ (13.3 ⭐ per credit)',
      '100 credits — 1200 ⭐ (12 ⭐ per credit)',
    ]);
    expect(rows.map((r) => r[0]!.callback_data)).toEqual(['buy|10', 'buy|30', 'buy|100']);
  });

  it('a pack button sends an XTR invoice with an empty provider token, one price, and the pack in the payload', async () => {
    const s = setup();
    await s.press(buyCallback(30, 'cont:aB3dE5fG:3'));
    const inv = s.calls.find((c) => c.method === 'sendInvoice')!.payload;
    expect(inv).toMatchObject({ currency: 'XTR', provider_token: '', prices: [{ label: '30 credits', amount: 400 }] });
    expect(decodeInvoicePayload(inv.payload)).toEqual({
      credits: 30,
      stars: 400,
      purchaseId: 'PurchaseId000001',
      createdAt: NOW / 1000,
      resume: 'cont:aB3dE5fG:3',
    });
  });

  it('a pack no longer sold shows the current packs instead of an invoice', async () => {
    const s = setup();
    await s.press(buyCallback(50));
    expect(s.calls.some((c) => c.method === 'sendInvoice')).toBe(false);
    expect(s.calls.find((c) => c.method === 'sendMessage')!.payload.text).toMatch(/no longer sold/);
  });

  it('"Top up and continue" shows the packs leading back to the order', async () => {
    const s = setup();
    await s.press(packsCallback('again:0b6f5a8e-3d1c-4a'));
    const msg = s.calls.find((c) => c.method === 'sendMessage')!.payload;
    expect(msg.text).toMatch(/same order/);
    expect(JSON.stringify(msg.reply_markup)).toContain('buy|10|again:0b6f5a8e-3d1c-4a');
  });

  it('/paysupport and /terms answer in the seller\'s language', async () => {
    const s = setup();
    await s.say('/paysupport');
    await s.say('/terms');
    const texts = s.calls.filter((c) => c.method === 'sendMessage').map((c) => c.payload.text);
    expect(texts[0]).toMatch(/@pay_help/);
    expect(texts[1]).toMatch(/Terms of purchase/);
  });
});

describe('refunded_payment (Telegram\'s refund notice)', () => {
  it('asks billing to take the refund off the ledger; billing down fails the update, so it comes again', async () => {
    const asked: string[] = [];
    let down = true;
    const s = setup({
      refundInBilling: async (chargeId) => {
        if (down) throw new Error('timeout');
        asked.push(chargeId);
      },
    });
    await expect(s.refundNotice('stxR1')).rejects.toThrow(/payment update \d+ not handled/);
    expect(s.calls.filter((c) => c.method === 'sendMessage')).toEqual([]);
    down = false;
    await s.refundNotice('stxR1');
    expect(asked).toEqual(['stxR1']);
  });
});

describe('successful_payment', () => {
  it.each([
    ['a payload that is not ours', 'hello', 400],
    ['an amount that is not its pack\'s price', null, 150],
  ])('%s: nothing granted, the seller is sent to support with the payment id', async (_name, raw, total) => {
    const s = setup();
    await s.paid(raw ?? payload(), 'stxODD', total);
    expect(s.published).toEqual([]);
    const said = s.calls.filter((c) => c.method === 'sendMessage').map((c) => String(c.payload.text));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/stxODD.*@pay_help/s);
  });

  it('publishes payments.star.paid.v1 with an id derived from the charge id', async () => {
    const s = setup();
    await s.paid(payload({ resume: 'again:0b6f5a8e-3d1c-4a' }));
    await s.paid(payload({ resume: 'again:0b6f5a8e-3d1c-4a' }));
    expect(s.published).toHaveLength(2);
    expect(s.published[0]).toMatchObject({
      id: deterministicId('payments.star.paid', 'stxCHARGE1'),
      type: 'payments.star.paid.v1',
      data: {
        userId: USER,
        chatId: USER,
        locale: 'en',
        chargeId: 'stxCHARGE1',
        providerChargeId: 'p-stxCHARGE1',
        credits: 30,
        stars: 400,
        purchaseId: 'PurchaseId000001',
        resume: 'again:0b6f5a8e-3d1c-4a',
      },
    });
    // The same id twice: JetStream's duplicate window keeps one, billing's charge key grants once.
    expect(s.published[1]!.id).toBe(s.published[0]!.id);
  });

  it.each(['polling', 'webhook'] as const)('%s: a payment JetStream did not take fails the update, so it comes again', async (mode) => {
    const s = setup({ mode, publish: () => Promise.reject(new Error('no responders')) });
    await expect(s.paid(payload())).rejects.toThrow(/not acknowledged/);
    // Nothing was said to the seller: the redelivery records it.
    expect(s.calls.filter((c) => c.method === 'sendMessage')).toEqual([]);
  });

  it.each(['polling', 'webhook'] as const)(
    '%s: a payment whose de-duplication check fails comes again; the seller is not told to press anything',
    async (mode) => {
      const s = setup({ mode, claim: () => Promise.reject(new Error('KV timeout')) });
      await expect(s.paid(payload())).rejects.toThrow(/payment update \d+ not handled/);
      expect(s.published).toEqual([]);
      expect(s.calls.filter((c) => c.method === 'sendMessage')).toEqual([]);
    },
  );

  it('bad payloads and pre-checkout fuzz change no state (nothing published)', async () => {
    const s = setup();
    const good = payload();
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const bad = ['', 'x', good.replace('p1', 'p2'), good.slice(0, 10), `${good}|`, good.replace('|30|', '|0|')];
    for (let i = 0; i < 200; i++) {
      const at = Math.floor(rnd() * good.length);
      bad.push(good.slice(0, at) + '|' + good.slice(at + 1));
    }
    for (const b of bad) {
      if (decodeInvoicePayload(b)) continue;
      await s.paid(b, `c-${b.length}`);
      await s.preCheckout(b);
    }
    expect(s.published).toEqual([]);
    expect(answers(s.calls).every((a) => a.ok === false)).toBe(true);
  });
});

describe('other buttons pass through', () => {
  it('leaves the conversation\'s buttons to it', async () => {
    const s = setup();
    await s.press('tpl:abc:ugc');
    expect(s.fellThrough).toEqual(['tpl:abc:ugc']);
  });
});
