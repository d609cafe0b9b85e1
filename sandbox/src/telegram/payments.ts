import { randomBytes } from 'node:crypto';
import type { TelegramState } from './state.js';
import type { SimUser, TelegramBehavior, TgInvoice, TgMessage, TgUpdate } from './types.js';
import type { UpdateQueue } from './updates.js';

// Payments in Telegram Stars, both sides: what the bot created (invoices, links), the user's
// Stars balance, the pre-checkout queries and the charges.
// Flow (https://core.telegram.org/bots/payments-stars, https://core.telegram.org/bots/api#payments):
// the user pays an invoice → the bot gets a `pre_checkout_query` update → it must call
// answerPreCheckoutQuery within 10 s → if ok, the Stars are taken and the bot gets a `message`
// update with `successful_payment`; otherwise the payment fails and the user sees error_message.

/** What the bot asked for: the invoice of a sendInvoice message or of a createInvoiceLink link. */
export interface InvoiceSpec {
  title: string;
  description: string;
  payload: string;
  currency: string;
  totalAmount: number;
  startParameter: string;
}

export interface Charge {
  telegramChargeId: string;
  providerChargeId: string;
  userId: number;
  chatId: number;
  currency: string;
  totalAmount: number;
  invoicePayload: string;
  /** The invoice message it paid (chat + message id), or the link. */
  source: { messageId: number } | { link: string };
  paidAt: number;
  /** Message id of the successful_payment service message in the user's chat. */
  messageId: number;
  /** The updates that carried successful_payment to the bot (more than one when redelivered as a copy). */
  updateIds: number[];
  refundedAt?: number;
}

/** A payment that did not go through, as the user saw it. */
export interface Refusal {
  userId: number;
  chatId: number;
  source: { messageId: number } | { link: string };
  invoicePayload: string;
  totalAmount: number;
  /** `refused`: the bot answered ok=false; `timeout`: no answer within 10 s; `balance`: not enough Stars. */
  reason: 'refused' | 'timeout' | 'balance';
  /** The bot's error_message (for `refused`), or the sim's stand-in for Telegram's own text. */
  errorMessage: string;
  preCheckoutQueryId?: string;
  at: number;
}

export interface PreCheckout {
  id: string;
  userId: number;
  chatId: number;
  spec: InvoiceSpec;
  sentAt: number;
  updateId: number;
  /** Set once answered in time; answers after the deadline are refused. */
  answer?: { ok: boolean; errorMessage?: string; at: number };
  expired: boolean;
  settle?: () => void;
}

export type PayTarget = { messageId: number } | { link: string };

export interface PayOptions {
  /**
   * Deliver the successful_payment update more than once, as Telegram may:
   * `same` re-sends the very update (same update_id), `copy` adds a second update with a new
   * update_id carrying the same message, `both` does both.
   */
  redeliver?: 'same' | 'copy' | 'both';
}

export type PayOutcome =
  | {
      status: 'paid';
      preCheckoutQueryId: string;
      preCheckoutUpdateId: number;
      telegramPaymentChargeId: string;
      providerPaymentChargeId: string;
      totalAmount: number;
      invoicePayload: string;
      messageId: number;
      updateIds: number[];
      balance: number;
    }
  | { status: 'refused'; preCheckoutQueryId: string; preCheckoutUpdateId: number; errorMessage: string; balance: number }
  | { status: 'timeout'; preCheckoutQueryId: string; preCheckoutUpdateId: number; errorMessage: string; balance: number }
  | { status: 'insufficient_balance'; errorMessage: string; balance: number };

export interface Refund {
  userId: number;
  telegramChargeId: string;
  totalAmount: number;
  at: number;
  /** The refunded_payment service message in the user's chat, and its update. */
  messageId: number;
  updateId: number;
}

/** Stand-ins for what the Telegram app shows when a payment fails without a bot message. */
export const TIMEOUT_TEXT = 'The bot did not respond in time. Your Stars were not charged.';
export const BALANCE_TEXT = 'Not enough Stars: BALANCE_TOO_LOW';

export const DEFAULT_STARS = 100_000;

export class PaymentLedger {
  /** Invoice links (createInvoiceLink), by the link itself. */
  readonly links = new Map<string, InvoiceSpec>();
  /** sendInvoice messages: `${chatId}:${messageId}` → spec (the Invoice object drops the payload). */
  readonly invoiceMessages = new Map<string, InvoiceSpec>();
  readonly preCheckouts = new Map<string, PreCheckout>();
  readonly charges = new Map<string, Charge>();
  readonly refusals: Refusal[] = [];
  readonly refunds: Refund[] = [];
  private readonly balances = new Map<number, number>();
  private seq = 0;

  constructor(private readonly defaultStars = DEFAULT_STARS) {}

  balance(userId: number): number {
    return this.balances.get(userId) ?? this.defaultStars;
  }

  setBalance(userId: number, stars: number): void {
    this.balances.set(userId, stars);
  }

  newLink(): string {
    // Invoice links look like https://t.me/$<slug> (https://core.telegram.org/api/links#invoice-links).
    return `https://t.me/$${randomBytes(12).toString('base64url')}`;
  }

  newPreCheckoutId(): string {
    // Telegram's query ids are large decimal strings.
    return `${5_000_000_000_000_000 + ++this.seq * 104_729}`;
  }

  newChargeIds(userId: number): { telegram: string; provider: string } {
    const n = ++this.seq;
    // Star charge ids are opaque strings (they start with "stx"); the provider id is informational.
    return { telegram: `stx${randomBytes(24).toString('base64url')}`, provider: `${userId}_${n}` };
  }

  /** The paid charge of an invoice message, if it was paid (Telegram then shows "Receipt" instead of Pay). */
  chargeOfMessage(chatId: number, messageId: number): Charge | undefined {
    return [...this.charges.values()].find((c) => c.chatId === chatId && 'messageId' in c.source && c.source.messageId === messageId);
  }
}

export function invoiceObject(spec: InvoiceSpec): TgInvoice {
  return { title: spec.title, description: spec.description, start_parameter: spec.startParameter, currency: spec.currency, total_amount: spec.totalAmount };
}

function resolve(state: TelegramState, chatId: number, target: PayTarget): InvoiceSpec {
  const ledger = state.payments;
  if ('link' in target) {
    const spec = ledger.links.get(target.link);
    if (spec === undefined) throw new Error(`no invoice link ${target.link}`);
    return spec;
  }
  const chat = state.chats.get(chatId);
  const entry = chat?.byId.get(target.messageId);
  const spec = ledger.invoiceMessages.get(`${chatId}:${target.messageId}`);
  if (entry === undefined || entry.from !== 'bot' || entry.msg.invoice === undefined || spec === undefined) {
    throw new Error(`message ${target.messageId} in chat ${chatId} is not an invoice`);
  }
  if (ledger.chargeOfMessage(chatId, target.messageId)) throw new Error(`invoice message ${target.messageId} is already paid`);
  return spec;
}

/**
 * The user pays an invoice message of their chat (any age: the sim pays what it is told; the bot
 * judges staleness from its payload) or an invoice link. Resolves once the payment succeeded or
 * failed: after the bot's answer, or after `preCheckoutTimeoutMs` without one.
 */
export async function userPays(
  state: TelegramState,
  queue: UpdateQueue,
  behavior: () => TelegramBehavior,
  user: SimUser,
  target: PayTarget,
  opts: PayOptions = {},
): Promise<PayOutcome> {
  const ledger = state.payments;
  const chat = state.chatOf(user);
  const spec = resolve(state, chat.chat.id, target);
  const source = 'link' in target ? { link: target.link } : { messageId: target.messageId };
  const refuse = (r: Omit<Refusal, 'userId' | 'chatId' | 'source' | 'invoicePayload' | 'totalAmount' | 'at'>): void => {
    ledger.refusals.push({ userId: user.userId, chatId: chat.chat.id, source, invoicePayload: spec.payload, totalAmount: spec.totalAmount, at: Date.now(), ...r });
    state.changed(chat.chat.id);
  };

  // The app asks the user to buy Stars first; the bot hears nothing.
  if (ledger.balance(user.userId) < spec.totalAmount) {
    refuse({ reason: 'balance', errorMessage: BALANCE_TEXT });
    return { status: 'insufficient_balance', errorMessage: BALANCE_TEXT, balance: ledger.balance(user.userId) };
  }

  const id = ledger.newPreCheckoutId();
  const update: TgUpdate = {
    update_id: queue.newUpdateId(),
    // https://core.telegram.org/bots/api#precheckoutquery
    pre_checkout_query: { id, from: chat.user, currency: spec.currency, total_amount: spec.totalAmount, invoice_payload: spec.payload },
  };
  const pending: PreCheckout = { id, userId: user.userId, chatId: chat.chat.id, spec, sentAt: Date.now(), updateId: update.update_id, expired: false };
  ledger.preCheckouts.set(id, pending);
  await new Promise<void>((done) => {
    const timer = setTimeout(() => {
      pending.expired = true;
      done();
    }, behavior().preCheckoutTimeoutMs);
    pending.settle = () => {
      clearTimeout(timer);
      done();
    };
    // Pushed after the waiter is in place, so a bot answering at once is not missed.
    queue.push(update);
  });
  delete pending.settle;
  const base = { preCheckoutQueryId: id, preCheckoutUpdateId: update.update_id };

  const answer = pending.answer;
  if (answer === undefined) {
    refuse({ reason: 'timeout', errorMessage: TIMEOUT_TEXT, preCheckoutQueryId: id });
    return { status: 'timeout', ...base, errorMessage: TIMEOUT_TEXT, balance: ledger.balance(user.userId) };
  }
  if (!answer.ok) {
    const text = answer.errorMessage ?? '';
    refuse({ reason: 'refused', errorMessage: text, preCheckoutQueryId: id });
    return { status: 'refused', ...base, errorMessage: text, balance: ledger.balance(user.userId) };
  }
  // The balance may have moved while the bot thought about it.
  if (ledger.balance(user.userId) < spec.totalAmount) {
    refuse({ reason: 'balance', errorMessage: BALANCE_TEXT, preCheckoutQueryId: id });
    return { status: 'insufficient_balance', errorMessage: BALANCE_TEXT, balance: ledger.balance(user.userId) };
  }

  ledger.setBalance(user.userId, ledger.balance(user.userId) - spec.totalAmount);
  const ids = ledger.newChargeIds(user.userId);
  // The service message comes from the user (https://core.telegram.org/bots/api#message, successful_payment).
  const entry = state.addMessage(chat, 'user', (message_id, date): TgMessage => ({
    message_id,
    from: chat.user,
    chat: chat.chat,
    date,
    successful_payment: {
      currency: spec.currency,
      total_amount: spec.totalAmount,
      invoice_payload: spec.payload,
      telegram_payment_charge_id: ids.telegram,
      provider_payment_charge_id: ids.provider,
    },
  }));
  const paid: TgUpdate = { update_id: queue.newUpdateId(), message: structuredClone(entry.msg) };
  const charge: Charge = {
    telegramChargeId: ids.telegram,
    providerChargeId: ids.provider,
    userId: user.userId,
    chatId: chat.chat.id,
    currency: spec.currency,
    totalAmount: spec.totalAmount,
    invoicePayload: spec.payload,
    source,
    paidAt: Date.now(),
    messageId: entry.msg.message_id,
    updateIds: [paid.update_id],
  };
  ledger.charges.set(ids.telegram, charge);
  queue.push(paid);
  if (opts.redeliver === 'same' || opts.redeliver === 'both') queue.redeliver(paid.update_id);
  if (opts.redeliver === 'copy' || opts.redeliver === 'both') {
    const copy: TgUpdate = { update_id: queue.newUpdateId(), message: structuredClone(entry.msg) };
    charge.updateIds.push(copy.update_id);
    queue.push(copy);
  }
  state.changed(chat.chat.id);
  return {
    status: 'paid',
    ...base,
    telegramPaymentChargeId: ids.telegram,
    providerPaymentChargeId: ids.provider,
    totalAmount: spec.totalAmount,
    invoicePayload: spec.payload,
    messageId: entry.msg.message_id,
    updateIds: [...charge.updateIds],
    balance: ledger.balance(user.userId),
  };
}
