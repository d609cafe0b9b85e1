import { randomBytes } from 'node:crypto';
import { Composer, InlineKeyboard, type Context } from 'grammy';
import {
  buyCallback,
  createEvent,
  decidePreCheckout,
  decodeInvoicePayload,
  decodePaymentCallback,
  deterministicId,
  encodeInvoicePayload,
  resumeDraft,
  type CreditPack,
  type Locale,
  type PreCheckoutDecision,
} from '@neurocards/contracts';
import { pickLocale } from '@neurocards/i18n';
import { TransientError, type Logger, type Publish } from '@neurocards/platform';
import { publishUntilAcked } from '../adapters/publish-retry';
import type { SessionStore } from '../adapters/session-store';
import { answerCallbackQuietly } from '../adapters/telegram-errors';
import { decodeCallback } from '../domain/callback-data';
import { parseCommand } from '../domain/commands';
import type { T, TextKey } from '../i18n';

/**
 * Selling credits for Telegram Stars (design §1 "Top-ups"): the packs (`/buy`, the balance's
 * button, a count locked for lack of credits, the notifier's "Top up and continue"), their
 * invoices, the pre-checkout answer, and the successful payment handed to billing.
 * Telegram's flow: https://core.telegram.org/bots/payments-stars — sendInvoice in `XTR` with
 * an empty provider token → pre_checkout_query, answered within 10 s → a message with
 * `successful_payment` (https://core.telegram.org/bots/api#successfulpayment).
 */
export interface PaymentsDeps {
  packs: readonly CreditPack[];
  publish: Publish;
  sessions: SessionStore;
  supportContact?: string | undefined;
  t: T;
  log: Logger;
  /** How long the payment's publish is retried before the update is failed for redelivery. */
  publishDeadlineMs?: number;
  now?: () => number;
  newPurchaseId?: () => string;
  /**
   * Takes a refunded charge's unspent credits back in billing (idempotent by charge id):
   * Telegram's `refunded_payment` notice makes the ledger follow every refund, also one whose
   * `/refund` never heard billing's answer.
   */
  refundInBilling?: (chargeId: string, by: number) => Promise<unknown>;
}

/** Telegram waits 10 s for the pre-checkout answer; ours goes well within it, or not at all. */
export const PRE_CHECKOUT_ANSWER_MS = 5000;
/**
 * Within the webhook's 8 s answer (handlers/webhook.ts): a webhook update still running then
 * is answered 200 and a later failure would not bring it back, so the payment's publish
 * gives up first and fails the update while Telegram still waits for the answer.
 */
const PUBLISH_DEADLINE_MS = 5000;
/** The seller's language for the payment event: worth a second at most, never the payment. */
const LOCALE_LOOKUP_MS = 1000;

/**
 * A successful payment that could not be handed to billing: the update must come again, in
 * both modes (webhook: 500, Telegram redelivers; polling: the stored update is nak'ed). The
 * guard rethrows it instead of answering, since the seller can do nothing about it.
 */
export class PaymentNotRecorded extends TransientError {
  constructor(chargeId: string, cause: unknown) {
    super(`payment ${chargeId} not acknowledged by JetStream`, 2000, { cause });
    this.name = 'PaymentNotRecorded';
  }
}

const REFUSAL: Record<Extract<PreCheckoutDecision, { ok: false }>['reason'], TextKey> = {
  stale: 'preCheckoutStale',
  unknown_pack: 'preCheckoutChanged',
  wrong_amount: 'preCheckoutChanged',
  wrong_currency: 'preCheckoutInvalid',
  malformed: 'preCheckoutInvalid',
};

/**
 * The pre-checkout answer, from the query and the configured packs alone (no store, no
 * network besides the answer itself, bounded by PRE_CHECKOUT_ANSWER_MS). Installed before
 * the per-chat ordering and the update claim, so it never waits behind the chat's other
 * updates or a slow KV. Answering a query twice (a redelivered update) is harmless: Telegram
 * refuses the second answer, which is logged.
 */
export function preCheckoutComposer(deps: Pick<PaymentsDeps, 'packs' | 't' | 'log' | 'now'>): Composer<Context> {
  const log = deps.log.child({ module: 'payments' });
  const now = deps.now ?? Date.now;
  const c = new Composer<Context>();
  c.on('pre_checkout_query', async (ctx) => {
    const q = ctx.preCheckoutQuery;
    const d = decidePreCheckout(q, deps.packs, Math.floor(now() / 1000));
    const locale = pickLocale(q.from.language_code);
    const other = d.ok ? {} : { error_message: deps.t(locale, REFUSAL[d.reason]) };
    log.info(
      { userId: q.from.id, ok: d.ok, ...(d.ok ? { purchaseId: d.payload.purchaseId } : { reason: d.reason }) },
      'pre-checkout answered',
    );
    try {
      await ctx.api.answerPreCheckoutQuery(q.id, d.ok, other, AbortSignal.timeout(PRE_CHECKOUT_ANSWER_MS) as never);
    } catch (err) {
      // Too late or answered already: Telegram cancels the payment itself after 10 s.
      log.warn({ err, userId: q.from.id }, 'pre-checkout answer failed');
    }
  });
  return c;
}

/** Stars per credit for a seller's eyes: 15, 13.3, 12. */
const perCredit = (locale: Locale, p: CreditPack) =>
  new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(p.stars / p.credits);

/** The packs as buttons, one a row; each sends its invoice (carrying the way back, if any). */
export function packsKeyboard(t: T, locale: Locale, packs: readonly CreditPack[], resume?: string): InlineKeyboard {
  const kb = new InlineKeyboard();
  packs.forEach((p, i) => {
    if (i > 0) kb.row();
    kb.text(
      t(locale, 'packButton', { credits: p.credits, stars: p.stars, perCredit: perCredit(locale, p) }),
      buyCallback(p.credits, resume),
    );
  });
  return kb;
}

export function paymentsComposer(deps: PaymentsDeps): Composer<Context> {
  const log = deps.log.child({ module: 'payments' });
  const now = deps.now ?? Date.now;
  const newPurchaseId = deps.newPurchaseId ?? (() => randomBytes(12).toString('base64url'));
  const { t } = deps;
  const c = new Composer<Context>();

  /**
   * The seller's language as the conversation picks it: the one chosen with /language, else
   * Telegram's current one, else the session's. A failed or slow lookup costs only that
   * (bounded, so a payment never waits on the session store).
   */
  const localeOf = async (ctx: Context): Promise<Locale> => {
    const fallback = pickLocale(ctx.from?.language_code);
    if (!ctx.chat) return fallback;
    const chatId = ctx.chat.id;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Locale>((resolve) => {
      timer = setTimeout(() => resolve(fallback), LOCALE_LOOKUP_MS);
    });
    const lookup = deps.sessions.load(chatId).then(
      ({ session }) =>
        session?.localeChosen || (session && !ctx.from?.language_code) ? session.locale : fallback,
      () => fallback,
    );
    try {
      return await Promise.race([lookup, late]);
    } finally {
      clearTimeout(timer);
    }
  };

  const showPacks = async (ctx: Context, locale: Locale, resume?: string, lead?: TextKey) => {
    const text = [lead ? t(locale, lead) : null, t(locale, resume ? 'packsTitleResume' : 'packsTitle')]
      .filter(Boolean)
      .join('\n\n');
    await ctx.reply(text, { reply_markup: packsKeyboard(t, locale, deps.packs, resume) });
  };

  c.on('message:text', async (ctx, next) => {
    const cmd = parseCommand(ctx.message.text, ctx.me.username);
    if (!cmd || !['buy', 'paysupport', 'terms'].includes(cmd.name)) return next();
    const locale = await localeOf(ctx);
    switch (cmd.name) {
      case 'buy':
        return showPacks(ctx, locale);
      case 'paysupport':
        return void (await ctx.reply(
          deps.supportContact
            ? t(locale, 'paySupport', { contact: deps.supportContact })
            : t(locale, 'paySupportNoContact'),
        ));
      case 'terms':
        return void (await ctx.reply(t(locale, 'terms')));
    }
  });

  c.on('callback_query:data', async (ctx, next) => {
    const data = ctx.callbackQuery.data;
    // A count the balance cannot pay: the conversation explains (a toast); the packs follow,
    // leading back to this draft's confirmation with that count once paid.
    const locked = decodeCallback(data);
    if (locked?.action === 'locked') {
      await next();
      const draft = (await deps.sessions.load(ctx.chat!.id)).session?.draft;
      if (draft?.id === locked.draftId && draft.step === 'count')
        await showPacks(ctx, await localeOf(ctx), resumeDraft(locked.draftId, locked.count));
      return;
    }
    const p = decodePaymentCallback(data);
    if (!p) return next();
    const locale = await localeOf(ctx);
    if (p.action === 'packs') {
      await answerCallbackQuietly(ctx);
      return showPacks(ctx, locale, p.resume);
    }
    const pack = deps.packs.find((x) => x.credits === p.credits);
    await answerCallbackQuietly(ctx);
    // A button from before the packs changed: the current ones instead.
    if (!pack) return showPacks(ctx, locale, p.resume, 'packGone');
    const purchaseId = newPurchaseId();
    const payload = encodeInvoicePayload({
      credits: pack.credits,
      stars: pack.stars,
      purchaseId,
      createdAt: Math.floor(now() / 1000),
      ...(p.resume ? { resume: p.resume } : {}),
    });
    try {
      // Stars: currency XTR, one price, an empty provider token (https://core.telegram.org/bots/api#sendinvoice).
      await ctx.api.sendInvoice(
        ctx.chat!.id,
        t(locale, 'invoiceTitle', { credits: pack.credits }),
        t(locale, 'invoiceDescription', { credits: pack.credits }),
        payload,
        'XTR',
        [{ label: t(locale, 'invoiceLabel', { credits: pack.credits }), amount: pack.stars }],
        { provider_token: '' },
      );
      log.info({ userId: ctx.from.id, purchaseId, credits: pack.credits, stars: pack.stars, resume: p.resume }, 'invoice sent');
    } catch (err) {
      log.warn({ err, userId: ctx.from.id, purchaseId }, 'invoice not sent');
      await ctx.reply(t(locale, 'invoiceFailed'));
    }
  });

  // Telegram's service message after a refundStarPayment (https://core.telegram.org/bots/api#refundedpayment):
  // the admin's /refund reported it already; billing is asked again (a repeat changes nothing),
  // so a refund whose /refund lost billing's answer is still taken off the ledger. Billing
  // unreachable: the update fails and comes again.
  c.on('message', async (ctx, next) => {
    const refunded = (ctx.message as { refunded_payment?: { telegram_payment_charge_id?: string } }).refunded_payment;
    if (!refunded) return next();
    const chargeId = refunded.telegram_payment_charge_id;
    log.info({ userId: ctx.from.id, chargeId }, 'refunded_payment service message');
    if (!deps.refundInBilling || !chargeId) return;
    try {
      await deps.refundInBilling(chargeId, ctx.me.id);
    } catch (err) {
      throw new TransientError(`refund of ${chargeId} not recorded in billing`, 2000, { cause: err });
    }
  });

  c.on('message:successful_payment', async (ctx) => {
    const sp = ctx.message.successful_payment;
    const chargeId = sp.telegram_payment_charge_id;
    const payload = decodeInvoicePayload(sp.invoice_payload);
    const plog = log.child({ chargeId, userId: ctx.from.id });
    if (!payload || sp.currency !== 'XTR' || sp.total_amount !== payload.stars) {
      // Not an invoice of ours, or not the amount its pack costs (pre-checkout refuses both):
      // nothing is granted automatically. The seller is sent to support with the payment id.
      plog.error(
        { currency: sp.currency, totalAmount: sp.total_amount, packStars: payload?.stars },
        'payment that does not match an invoice of ours; needs support',
      );
      const locale = await localeOf(ctx);
      await ctx.reply(
        deps.t(locale, 'paymentNeedsSupport', { chargeId, contact: deps.supportContact ?? '/paysupport' }),
      );
      return;
    }
    const locale = await localeOf(ctx);
    const event = createEvent({
      subject: 'payments.star.paid.v1',
      // One event per charge: a payment update delivered twice is one message in the stream.
      id: deterministicId('payments.star.paid', chargeId),
      correlationId: payload.purchaseId,
      data: {
        userId: ctx.from.id,
        chatId: ctx.chat.id,
        locale,
        chargeId,
        providerChargeId: sp.provider_payment_charge_id,
        credits: payload.credits,
        stars: sp.total_amount,
        purchaseId: payload.purchaseId,
        invoiceCreatedAt: new Date(payload.createdAt * 1000).toISOString(),
        ...(payload.resume ? { resume: payload.resume } : {}),
      },
    });
    try {
      await publishUntilAcked(deps.publish, event, {
        deadlineMs: deps.publishDeadlineMs ?? PUBLISH_DEADLINE_MS,
        onRetry: (attempt, err) => plog.warn({ err, attempt }, 'payment publish not acknowledged; retrying'),
      });
    } catch (err) {
      throw new PaymentNotRecorded(chargeId, err);
    }
    plog.info(
      { purchaseId: payload.purchaseId, credits: payload.credits, stars: sp.total_amount, eventId: event.id, subject: event.type },
      'payment handed to billing',
    );
  });

  return c;
}
