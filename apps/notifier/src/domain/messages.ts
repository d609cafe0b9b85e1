import {
  orderButtonData,
  orderButtonKey,
  packsCallback,
  queueCancelCallback,
  type EventData,
  type FailureClass,
  type Locale,
} from '@neurocards/contracts';
import { cancellable, minutesOf, type Progress } from './progress';
import { t } from './texts';

/**
 * What the notifier says for each event: pure functions from event data to messages.
 *
 * Every message has a `key` that names the thing the user must see exactly once; the
 * delivery log claims it before sending. Keys name the business entity (order, job,
 * grant) rather than only the event id, so a producer that re-emits the same fact under
 * a new event id still cannot make the bot say it twice (docs/design.md §1: one status
 * message per order, edited as the order moves; one video message per job).
 */
export type Purpose =
  | 'order-taken'
  | 'credits-rejected'
  | 'credits-granted'
  | 'credits-purchased'
  | 'video'
  | 'video-failed'
  | 'order-summary'
  | 'key-blocked'
  | 'model-unavailable'
  | 'credits-alert'
  | 'queue-alert';

/** An inline button under a message: its label and callback data. */
export interface Button {
  text: string;
  data: string;
}

interface Base {
  key: string;
  purpose: Purpose;
  chatId: number;
  /** One row of inline buttons under the message, if any. */
  buttons?: Button[];
}
export interface TextMessage extends Base {
  kind: 'text';
  text: string;
}
export interface VideoMessage extends Base {
  kind: 'video';
  purpose: 'video';
  videoUrl: string;
  caption: string;
}
export type Outbound = TextMessage | VideoMessage;

/** The short order number users and support quote: first 8 characters, upper case. */
export const orderNumber = (orderId: string) => orderId.slice(0, 8).toUpperCase();

/** An admin who never chose a language with /language reads Russian (the team's language). */
export const DEFAULT_ADMIN_LOCALE: Locale = 'ru';

/** Each admin's chosen language (chat id → locale); an admin not in it gets the default. */
export type AdminLocales = ReadonlyMap<number, Locale>;
const NO_CHOICES: AdminLocales = new Map();

const text = (key: string, purpose: Purpose, chatId: number, body: string): TextMessage => ({
  kind: 'text',
  key,
  purpose,
  chatId,
  text: body,
});

/** What the order's status message is built from: the reservation, and where the queue stands. */
export interface OrderStatus {
  orderId: string;
  chatId: number;
  locale: Locale;
  /** Credits held (count × the model's price), not the number of videos. */
  amount: number;
  balance: number;
  progress: Progress;
}

/** The status message's key: sent once per order, then edited in place. */
export const statusKey = (orderId: string) => `order:${orderId}:taken`;

/**
 * The order's one status message: taken into work, with the order number, the credits held
 * and the balance, and a line on the queue (docs/design.md §6.1).
 */
export function orderStatus(s: OrderStatus): TextMessage {
  const body = t(s.locale, 'orderTaken', {
    order: orderNumber(s.orderId),
    amount: s.amount,
    balance: s.balance,
    progress: progressLine(s.locale, s.progress),
  });
  const msg = text(statusKey(s.orderId), 'order-taken', s.chatId, body);
  // While videos are queued the seller can cancel them and get the credits back at once.
  if (!cancellable(s.progress)) return { ...msg, buttons: [] };
  return { ...msg, buttons: [{ text: t(s.locale, 'cancelQueuedButton'), data: queueCancelCallback(s.orderId) }] };
}

function progressLine(locale: Locale, p: Progress): string {
  switch (p.kind) {
    case 'queued':
      return t(locale, 'statusQueued', { ahead: p.ahead, minutes: minutesOf(p.waitSeconds) });
    case 'started':
      return p.waiting > 0 && p.lastWaitSeconds !== null
        ? t(locale, 'statusStartedQueued', { waiting: p.waiting, minutes: minutesOf(p.lastWaitSeconds) })
        : t(locale, 'statusStarted');
    case 'unknown':
      return p.started ? t(locale, 'statusStarted') : t(locale, 'statusUnknown');
  }
}

export function creditsRejected(d: EventData<'billing.credits.rejected.v1'>, support: string): TextMessage {
  const params = { balance: d.balance, requested: d.requested, support };
  const body = support ? t(d.locale, 'creditsRejected', params) : t(d.locale, 'creditsRejectedNoContact', params);
  // "Top up and continue": the packs (bot-gateway), and after the payment the receipt's
  // button leads to a new draft of this order, straight to its confirmation.
  const resume = `again:${orderButtonKey(d.orderId)}`;
  return {
    ...text(`order:${d.orderId}:rejected`, 'credits-rejected', d.chatId, body),
    buttons: [{ text: t(d.locale, 'topUpAndContinueButton'), data: packsCallback(resume) }],
  };
}

/**
 * The receipt of a Stars purchase, once per charge, with the new balance and the payment id
 * (/paysupport asks for it); "Continue the order" when the top-up came from an order.
 */
export function creditsPurchased(d: EventData<'billing.credits.purchased.v1'>): TextMessage {
  const body = t(d.locale, 'creditsPurchased', {
    credits: d.credits,
    stars: d.stars,
    balance: d.balance,
    chargeId: d.chargeId,
  });
  const msg = text(`charge:${d.chargeId}:receipt`, 'credits-purchased', d.chatId, body);
  return d.resume ? { ...msg, buttons: [{ text: t(d.locale, 'continueOrderButton'), data: d.resume }] } : msg;
}

/**
 * The grant event carries no chat or locale: a user's private chat with the bot has the
 * user's id, and without a language we use the default, Russian.
 */
export function creditsGranted(d: EventData<'billing.credits.granted.v1'>, locale: Locale = 'ru'): TextMessage {
  const body = t(locale, 'creditsGranted', { amount: d.amount, balance: d.balance });
  return text(`grant:${d.grantId}`, 'credits-granted', d.userId, body);
}

/** "More videos of this photo" and "Another template" (bot-gateway answers them). */
export function orderButtons(locale: Locale, orderId: string): Button[] {
  return [
    { text: t(locale, 'buttonMore'), data: orderButtonData('more', orderId) },
    { text: t(locale, 'buttonOtherTemplate'), data: orderButtonData('template', orderId) },
  ];
}

export function videoReady(d: EventData<'jobs.video.ready.v1'>): VideoMessage {
  return {
    kind: 'video',
    buttons: orderButtons(d.locale, d.orderId),
    key: `job:${d.jobId}:video`,
    purpose: 'video',
    chatId: d.chatId,
    videoUrl: d.videoUrl,
    caption: t(d.locale, 'videoCaption', { index: d.index, count: d.count, order: orderNumber(d.orderId) }),
  };
}

export function videoFailed(d: EventData<'jobs.video.failed.v1'>, support: string): TextMessage {
  // The seller cancelled the order's queued videos: one message for all of them (keyed per
  // order), not one per video.
  if (d.reason === 'cancelled') {
    const body = t(d.locale, 'queuedCancelled', { order: orderNumber(d.orderId) });
    return text(`order:${d.orderId}:cancelled`, 'video-failed', d.chatId, body);
  }
  const params = { index: d.index, count: d.count, support };
  return text(`job:${d.jobId}:failed`, 'video-failed', d.chatId, failureText(d.locale, d.reason, params));
}

function failureText(locale: Locale, reason: Exclude<FailureClass, 'cancelled'>, params: { index: number; count: number; support: string }) {
  switch (reason) {
    case 'user_violation':
      return t(locale, 'videoFailedUserViolation', params);
    // Our own configuration (a withdrawn model, a rejected parameter): never the seller's
    // fault, so the same "temporarily unavailable" as an account problem (docs/design.md §1).
    case 'billing':
    case 'config':
      return params.support ? t(locale, 'videoFailedBilling', params) : t(locale, 'videoFailedBillingNoContact', params);
    case 'exhausted':
    case 'expired':
      return t(locale, 'videoFailedNoResult', params);
    // The chat probably cannot receive this either; it is tried once all the same.
    case 'undeliverable':
      return t(locale, 'videoFailedUndeliverable', params);
    default: {
      const never: never = reason;
      throw new Error(`unknown failure class ${String(never)}`);
    }
  }
}

/** The summary's key is needed before the message is built (the balance comes later). */
export const summaryKey = (orderId: string) => `order:${orderId}:summary`;

/** `balance` is null when billing did not answer in time: the summary goes without it. */
export function orderSummary(d: EventData<'jobs.order.completed.v1'>, balance: number | null): TextMessage {
  const params = { order: orderNumber(d.orderId), delivered: d.delivered, count: d.count, refunded: d.failed };
  const body =
    balance === null
      ? t(d.locale, 'orderSummaryNoBalance', params)
      : t(d.locale, 'orderSummary', { ...params, balance });
  return { ...text(summaryKey(d.orderId), 'order-summary', d.chatId, body), buttons: orderButtons(d.locale, d.orderId) };
}

/** The same alert for every admin, in each admin's language, keyed per admin under `key`. */
function toAdmins(
  key: string,
  purpose: Purpose,
  body: (locale: Locale) => string,
  adminIds: readonly number[],
  locales: AdminLocales,
): TextMessage[] {
  return [...new Set(adminIds)].map((id) => text(`${key}:${id}`, purpose, id, body(locales.get(id) ?? DEFAULT_ADMIN_LOCALE)));
}

/** One alert per admin; the key includes the event id, since a key can be blocked many times. */
export function keyBlockedAlerts(
  eventId: string,
  d: EventData<'kie.key.blocked.v1'>,
  adminIds: readonly number[],
  locales: AdminLocales = NO_CHOICES,
): TextMessage[] {
  const params = {
    keyName: d.keyName,
    account: d.account ?? d.keyName,
    until: formatInstant(d.until),
    code: d.code ?? '—',
    message: d.message || '—',
  };
  const body = (locale: Locale) => {
    const lines = [t(locale, d.scope === 'account' ? 'adminAccountBlocked' : 'adminKeyBlocked', params)];
    if (d.allKeysBlocked) lines.push(t(locale, 'adminAllKeysBlocked'));
    return lines.join('\n\n');
  };
  return toAdmins(`event:${eventId}:key-blocked`, 'key-blocked', body, adminIds, locales);
}

/** A model refused on an account: one alert per (model, account), whatever the event id. */
export function modelUnavailableAlerts(
  d: EventData<'kie.model.unavailable.v1'>,
  adminIds: readonly number[],
  locales: AdminLocales = NO_CHOICES,
): TextMessage[] {
  const params = { model: d.model, account: d.account, code: d.code ?? '—', message: d.message || '—' };
  const body = (locale: Locale) => {
    const lines = [t(locale, 'adminModelUnavailable', params)];
    if (!d.stillOffered) lines.push(t(locale, 'adminModelNoLongerOffered', { model: d.model }));
    return lines.join('\n\n');
  };
  return toAdmins(`model:${d.model}:${d.account}:unavailable`, 'model-unavailable', body, adminIds, locales);
}

/** A credit balance crossing the threshold, down or back up; each crossing is its own event. */
export function creditAlerts(
  eventId: string,
  kind: 'low' | 'recovered',
  d: EventData<'kie.credits.low.v1'>,
  adminIds: readonly number[],
  locales: AdminLocales = NO_CHOICES,
): TextMessage[] {
  const body = (locale: Locale) => t(locale, kind === 'low' ? 'adminCreditsLow' : 'adminCreditsRecovered', d);
  return toAdmins(`event:${eventId}:credits-${kind}`, 'credits-alert', body, adminIds, locales);
}

/** `2026-11-25T20:00:00.000Z` → `2026-11-25 20:00 UTC`. */
export function formatInstant(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Nothing could be submitted to KIE for a while although videos wait (`stalled`), or
 * submissions go out again (`recovered`). One alert per admin per event.
 */
export function queueAlerts(
  eventId: string,
  kind: 'stalled' | 'recovered',
  d: EventData<'kie.queue.stalled.v1'>,
  adminIds: readonly number[],
  locales: AdminLocales = NO_CHOICES,
): TextMessage[] {
  const params = { since: formatInstant(d.since), waiting: d.waiting };
  const body = (locale: Locale) => t(locale, kind === 'stalled' ? 'adminQueueStalled' : 'adminQueueRecovered', params);
  return toAdmins(`event:${eventId}:queue-${kind}`, 'queue-alert', body, adminIds, locales);
}
