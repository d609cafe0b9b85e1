import type { Ctx, Method } from './context.js';
import { inlineKeyboard } from './keyboard.js';
import { int, json, str } from './params.js';
import { invoiceObject } from './payments.js';
import type { InvoiceSpec } from './payments.js';
import { badRequest } from './types.js';
import type { TgMessage, TgUpdate } from './types.js';

// Bot API payment methods, Telegram Stars only (https://core.telegram.org/bots/api#payments,
// https://core.telegram.org/bots/payments-stars). Error descriptions are Telegram's where it has
// documented codes (MTProto errors pass through the Bot API as "Bad Request: CODE"); the wording of the
// length checks is the sim's.

/** Upper bound of one Stars invoice. Not documented; the sim uses the ceiling Telegram is reported to enforce. */
export const MAX_STARS_AMOUNT = 100_000;
const QUERY_GONE = 'query is too old and response timeout expired or query ID is invalid';

/**
 * The invoice fields sendInvoice and createInvoiceLink share
 * (https://core.telegram.org/bots/api#sendinvoice, #createinvoicelink, #labeledprice):
 * title 1-32 characters, description 1-255, payload 1-128 bytes, currency "XTR" with an empty
 * provider_token and exactly one price.
 */
function invoiceSpec(ctx: Ctx): InvoiceSpec {
  const { params } = ctx;
  const title = str(params, 'title') ?? '';
  if (title.length === 0) throw badRequest('invoice title must be non-empty');
  if ([...title].length > 32) throw badRequest('invoice title must be at most 32 characters long');
  const description = str(params, 'description') ?? '';
  if (description.length === 0) throw badRequest('invoice description must be non-empty');
  if ([...description].length > 255) throw badRequest('invoice description must be at most 255 characters long');
  const payload = str(params, 'payload') ?? '';
  const size = Buffer.byteLength(payload);
  if (size < 1 || size > 128) throw badRequest('INVOICE_PAYLOAD_INVALID');
  const currency = str(params, 'currency') ?? '';
  if (!/^[A-Z]{3}$/.test(currency)) throw badRequest('CURRENCY_INVALID');
  const token = str(params, 'provider_token') ?? '';
  // Stars: "Pass an empty string for payments in Telegram Stars". The simulated bot has no payment
  // provider connected, so any other currency (which needs one) fails the same way.
  if (currency !== 'XTR' || token !== '') throw badRequest('PAYMENT_PROVIDER_INVALID');
  const prices = json<unknown>(params, 'prices');
  if (!Array.isArray(prices)) throw badRequest("can't parse prices JSON object");
  for (const p of prices) {
    const price = p as { label?: unknown; amount?: unknown };
    if (typeof price !== 'object' || price === null || typeof price.label !== 'string' || !Number.isInteger(Number(price.amount))) {
      throw badRequest("can't parse prices JSON object");
    }
  }
  // "Must contain exactly one item for payments in Telegram Stars."
  if (prices.length !== 1) throw badRequest('STARS_INVOICE_INVALID');
  const total = Number((prices[0] as { amount: unknown }).amount);
  if (total < 1 || total > MAX_STARS_AMOUNT) throw badRequest('CURRENCY_TOTAL_AMOUNT_INVALID');
  if (params.values.max_tip_amount !== undefined || params.values.suggested_tip_amounts !== undefined) {
    // Tips are not supported for Stars.
    if ((int(params, 'max_tip_amount') ?? 0) !== 0 || (json<unknown[]>(params, 'suggested_tip_amounts') ?? []).length > 0) throw badRequest('STARS_INVOICE_INVALID');
  }
  if (params.values.subscription_period !== undefined) throw badRequest('subscriptions are not simulated');
  return { title, description, payload, currency, totalAmount: total, startParameter: str(params, 'start_parameter') ?? '' };
}

/** https://core.telegram.org/bots/api#sendinvoice — returns the sent Message with its `invoice`. */
export const sendInvoice: Method = (ctx) => {
  const { state, params } = ctx;
  const chat = state.botChat(params.values.chat_id);
  const spec = invoiceSpec(ctx);
  const markup = inlineKeyboard(json(params, 'reply_markup'), { invoice: true });
  const entry = state.addMessage(chat, 'bot', (message_id, date): TgMessage => ({
    message_id,
    from: state.botUser,
    chat: chat.chat,
    date,
    invoice: invoiceObject(spec),
    ...(markup && markup.inline_keyboard.length > 0 ? { reply_markup: markup } : {}),
  }));
  state.payments.invoiceMessages.set(`${chat.chat.id}:${entry.msg.message_id}`, spec);
  return { result: entry.msg };
};

/** https://core.telegram.org/bots/api#createinvoicelink — returns the link as a String. */
export const createInvoiceLink: Method = (ctx) => {
  const spec = invoiceSpec(ctx);
  if (ctx.params.values.business_connection_id !== undefined) throw badRequest('business connections are not simulated');
  const link = ctx.state.payments.newLink();
  ctx.state.payments.links.set(link, spec);
  return { result: link };
};

/**
 * https://core.telegram.org/bots/api#answerprecheckoutquery — "the Bot API must receive an answer
 * within 10 seconds after the pre-checkout query was sent"; later, the query is gone.
 */
export const answerPreCheckoutQuery: Method = ({ state, params, behavior }) => {
  const id = str(params, 'pre_checkout_query_id');
  const query = id === undefined ? undefined : state.payments.preCheckouts.get(id);
  if (query === undefined || query.answer !== undefined || query.expired || Date.now() - query.sentAt > behavior.preCheckoutTimeoutMs) {
    throw badRequest(QUERY_GONE);
  }
  const v = params.values.ok;
  const ok = v === true || v === 'true' || v === '1' || v === 1;
  const errorMessage = str(params, 'error_message');
  // "Required if ok is False" (MTProto: ERROR_TEXT_EMPTY).
  if (!ok && (errorMessage === undefined || errorMessage.trim() === '')) throw badRequest('ERROR_TEXT_EMPTY');
  query.answer = { ok, at: Date.now(), ...(ok ? {} : { errorMessage: errorMessage ?? '' }) };
  query.settle?.();
  return { result: true };
};

/**
 * https://core.telegram.org/bots/api#refundstarpayment — returns True; the Stars go back to the user
 * and a service message with `refunded_payment` (https://core.telegram.org/bots/api#refundedpayment)
 * appears in the chat. MTProto's payments.refundStarsCharge errors: CHARGE_ID_EMPTY, CHARGE_NOT_FOUND,
 * CHARGE_ALREADY_REFUNDED.
 */
export const refundStarPayment: Method = ({ state, queue, params }) => {
  const userId = int(params, 'user_id');
  if (userId === undefined || userId <= 0) throw badRequest('USER_ID_INVALID');
  const chargeId = str(params, 'telegram_payment_charge_id') ?? '';
  if (chargeId === '') throw badRequest('CHARGE_ID_EMPTY');
  const ledger = state.payments;
  const charge = ledger.charges.get(chargeId);
  if (charge === undefined || charge.userId !== userId) throw badRequest('CHARGE_NOT_FOUND');
  if (charge.refundedAt !== undefined) throw badRequest('CHARGE_ALREADY_REFUNDED');
  charge.refundedAt = Date.now();
  ledger.setBalance(userId, ledger.balance(userId) + charge.totalAmount);
  const chat = state.chats.get(charge.chatId);
  let messageId = 0;
  let updateId = 0;
  if (chat !== undefined) {
    // The refund is the bot's act: the service message is the bot's, and bots receive it too
    // (MTProto messageActionPaymentRefunded: "received by both users and bots").
    const entry = state.addMessage(chat, 'bot', (message_id, date): TgMessage => ({
      message_id,
      from: state.botUser,
      chat: chat.chat,
      date,
      refunded_payment: {
        currency: 'XTR',
        total_amount: charge.totalAmount,
        invoice_payload: charge.invoicePayload,
        telegram_payment_charge_id: charge.telegramChargeId,
        provider_payment_charge_id: charge.providerChargeId,
      },
    }));
    const update: TgUpdate = { update_id: queue.newUpdateId(), message: structuredClone(entry.msg) };
    queue.push(update);
    messageId = entry.msg.message_id;
    updateId = update.update_id;
  }
  ledger.refunds.push({ userId, telegramChargeId: chargeId, totalAmount: charge.totalAmount, at: charge.refundedAt, messageId, updateId });
  return { result: true };
};
