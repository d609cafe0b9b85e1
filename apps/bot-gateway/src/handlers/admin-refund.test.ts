import { Bot, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import type { RpcResponse } from '@neurocards/contracts';
import { silentLogger } from '@neurocards/platform/testing';
import type { BillingClient } from '../adapters/rpc-clients';
import { t } from '../i18n';
import { adminComposer } from './admin';

const ADMIN = 42;
const BUYER = 777;
const botInfo = { id: 1, is_bot: true, first_name: 'Bot', username: 'neuro_bot' } as UserFromGetMe;
type Refund = RpcResponse<'billing.purchase.refund'>;

/** /refund against a billing stand-in that refunds once, and a Telegram that answers `tg`. */
function setup(o: { found?: boolean; tg?: 'ok' | 'already' | 'refused'; billingDown?: boolean; held?: number } = {}) {
  const sent: string[] = [];
  const refundsAtTelegram: unknown[] = [];
  let refunded: Refund | null = null;
  const bot = new Bot<Context>('1:test', { botInfo });
  bot.api.config.use(async (_prev, method, payload) => {
    if (method === 'refundStarPayment') {
      refundsAtTelegram.push(payload);
      if (o.tg === 'already') return { ok: false, error_code: 400, description: 'Bad Request: CHARGE_ALREADY_REFUNDED' } as never;
      if (o.tg === 'refused') return { ok: false, error_code: 400, description: 'Bad Request: CHARGE_NOT_FOUND' } as never;
      return { ok: true, result: true } as never;
    }
    if (method === 'sendMessage') sent.push((payload as { text: string }).text);
    return { ok: true, result: { message_id: 1, date: 0, chat: { id: ADMIN, type: 'private' } } } as never;
  });
  const billing: BillingClient = {
    balance: async () => null,
    ledger: async () => null,
    grant: () => Promise.reject(new Error('not used')),
    purchase: async () =>
      o.found === false
        ? { found: false, userId: null, credits: 0, stars: 0, refunded: false, held: 0 }
        : { found: true, userId: BUYER, credits: 10, stars: 150, refunded: refunded !== null, held: o.held ?? 0 },
    refund: async (req) => {
      if (o.billingDown) throw new Error('timeout');
      if (refunded) return { ...refunded, alreadyRefunded: true };
      refunded = { chargeId: req.chargeId, found: true, userId: BUYER, credits: 10, takenBack: 8, notTakenBack: 2, alreadyRefunded: false, balance: 0 };
      return refunded;
    },
  };
  bot.use(
    adminComposer({
      admins: new Set([ADMIN]),
      billing,
      stats: { orchestrator: async () => null, kieKeys: async () => null },
      kie: { unblock: () => Promise.reject(new Error('no')), setModel: () => Promise.reject(new Error('no')) },
      t,
      log: silentLogger(),
    }),
  );
  let id = 0;
  const say = (text: string) =>
    bot.handleUpdate({
      update_id: ++id,
      message: {
        message_id: id,
        date: 0,
        chat: { id: ADMIN, type: 'private', first_name: 'A' },
        from: { id: ADMIN, is_bot: false, first_name: 'A', language_code: 'en' },
        text,
        entities: [{ type: 'bot_command', offset: 0, length: 7 }],
      },
    });
  return { sent, refundsAtTelegram, say };
}

describe('/refund', () => {
  it('waits while the buyer has credits held for videos in work: nothing refunded anywhere', async () => {
    const s = setup({ held: 3 });
    await s.say('/refund stxC1');
    expect(s.refundsAtTelegram).toEqual([]);
    expect(s.sent[0]).toMatch(/3 credits held for videos being made.*Nothing changed/);
  });

  it('refunds the Stars to the buyer, reports what was taken back; a second /refund changes nothing', async () => {
    const s = setup();
    await s.say('/refund stxC1');
    await s.say('/refund stxC1');
    expect(s.refundsAtTelegram).toEqual([{ user_id: BUYER, telegram_payment_charge_id: 'stxC1' }]);
    expect(s.sent[0]).toMatch(/Taken off the balance: 8 of 10; could not take back 2/);
    expect(s.sent[1]).toMatch(/already refunded: 8 of 10 taken back, 2 not\. Nothing changed/);
  });

  it('an unknown charge: a clear message, no refund anywhere', async () => {
    const s = setup({ found: false });
    await s.say('/refund nope');
    expect(s.refundsAtTelegram).toEqual([]);
    expect(s.sent).toEqual(['Payment nope not found. Nothing changed.']);
  });

  it('Telegram refusing: no credits taken back', async () => {
    const s = setup({ tg: 'refused' });
    await s.say('/refund stxC1');
    expect(s.sent[0]).toMatch(/Telegram refused to refund stxC1: .*CHARGE_NOT_FOUND.*No credits were taken back/);
  });

  it('CHARGE_ALREADY_REFUNDED at Telegram still settles the ledger', async () => {
    const s = setup({ tg: 'already' });
    await s.say('/refund stxC1');
    expect(s.sent[0]).toMatch(/Taken off the balance: 8 of 10/);
  });

  it('billing not answering: the admin is told to repeat, which is safe', async () => {
    const s = setup({ billingDown: true });
    await s.say('/refund stxC1');
    expect(s.sent[0]).toMatch(/billing did not answer.*Repeat \/refund stxC1/);
  });
});
