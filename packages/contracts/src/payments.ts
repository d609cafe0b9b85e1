/**
 * Credit packs sold for Telegram Stars (`CREDIT_PACKS`) and the invoice payload that carries
 * a pack through Telegram. One place for both: bot-gateway shows and sells the packs and
 * checks the payload at pre-checkout; the events carry what the payload said.
 *
 * Telegram: digital goods are sold in Stars, currency `XTR`, with an empty provider token and
 * exactly one price (https://core.telegram.org/bots/api#sendinvoice,
 * https://core.telegram.org/bots/payments-stars). The invoice payload is 1–128 bytes, is not
 * shown to the user, and comes back in `pre_checkout_query.invoice_payload` and
 * `successful_payment.invoice_payload`.
 */

/** One pack: `credits` for `stars`. */
export interface CreditPack {
  credits: number;
  stars: number;
}

/** The default offer: larger packs are cheaper per credit (15, 13.3, 12 ⭐ per credit). */
export const DEFAULT_CREDIT_PACKS = '10:150,30:400,100:1200';

/** Telegram's bounds for one Stars price (https://core.telegram.org/bots/api#labeledprice). */
export const STARS_MAX = 10_000;
export const PACK_CREDITS_MAX = 100_000;

/**
 * Parses `credits:stars,credits:stars,…`. Throws an Error naming what is wrong: a malformed
 * entry, a non-positive or out-of-range number, two packs of the same size, or a larger pack
 * that is not cheaper per credit than a smaller one (the offer would make no sense to a seller).
 * Returns the packs by size, smallest first.
 */
export function parseCreditPacks(raw: string): CreditPack[] {
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('expected at least one pack, e.g. 10:150,30:400');
  if (entries.length > 8) throw new Error('at most 8 packs (one row of buttons each)');
  const packs = entries.map((e) => {
    const m = /^(\d{1,6}):(\d{1,5})$/.exec(e);
    if (!m) throw new Error(`"${e}" is not credits:stars (positive whole numbers)`);
    const credits = Number(m[1]);
    const stars = Number(m[2]);
    if (credits < 1 || credits > PACK_CREDITS_MAX) throw new Error(`"${e}": credits must be 1..${PACK_CREDITS_MAX}`);
    if (stars < 1 || stars > STARS_MAX) throw new Error(`"${e}": stars must be 1..${STARS_MAX}`);
    return { credits, stars };
  });
  packs.sort((a, b) => a.credits - b.credits);
  for (let i = 1; i < packs.length; i++) {
    const small = packs[i - 1]!;
    const large = packs[i]!;
    if (small.credits === large.credits) throw new Error(`two packs of ${large.credits} credits`);
    // Compare stars per credit without fractions: large.stars/large.credits < small.stars/small.credits.
    if (large.stars * small.credits >= small.stars * large.credits) {
      throw new Error(
        `${large.credits}:${large.stars} is not cheaper per credit than ${small.credits}:${small.stars}`,
      );
    }
  }
  return packs;
}

export const findPack = (packs: readonly CreditPack[], credits: number, stars: number): CreditPack | undefined =>
  packs.find((p) => p.credits === credits && p.stars === stars);

/**
 * Where the seller goes back after paying: callback data of a button under the receipt, one of
 * - `cont:<draftId>:<count>` — the draft the seller was building (its count was locked for
 *   lack of credits): back to its confirmation with that count;
 * - `again:<orderKey>` — the order billing refused for lack of credits: a new draft with the
 *   same photo and choices, straight to the confirmation (contracts `orderButtonData`).
 * It fits Telegram's 64 bytes of callback data and the invoice payload.
 */
export const RESUME_PATTERN = /^(?:cont:[A-Za-z0-9_-]{1,16}:[135]|again:[A-Za-z0-9_-]{8,16})$/;

export const resumeDraft = (draftId: string, count: number): string => `cont:${draftId}:${count}`;

/** What an invoice sells, and to whom it leads back. */
export interface InvoicePayload extends CreditPack {
  /** Unique per invoice (random): names the purchase in logs, events and the ledger. */
  purchaseId: string;
  /** When the invoice was made, unix seconds: an invoice older than 24 h is refused. */
  createdAt: number;
  /** RESUME_PATTERN, or absent. */
  resume?: string;
}

const PAYLOAD_VERSION = 'p1';
const PURCHASE_ID = /^[A-Za-z0-9_-]{8,32}$/;
export const INVOICE_PAYLOAD_MAX_BYTES = 128;

/** `p1|credits|stars|purchaseId|createdAt|resume` (resume may be empty). At most 128 bytes. */
export function encodeInvoicePayload(p: InvoicePayload): string {
  if (!PURCHASE_ID.test(p.purchaseId)) throw new Error('bad purchaseId');
  if (p.resume !== undefined && !RESUME_PATTERN.test(p.resume)) throw new Error('bad resume reference');
  const s = [PAYLOAD_VERSION, p.credits, p.stars, p.purchaseId, p.createdAt, p.resume ?? ''].join('|');
  if (Buffer.byteLength(s) > INVOICE_PAYLOAD_MAX_BYTES) throw new Error('invoice payload over 128 bytes');
  return s;
}

/** The payload, or null for anything we did not make (wrong version, shape, or numbers). */
export function decodeInvoicePayload(raw: unknown): InvoicePayload | null {
  if (typeof raw !== 'string' || raw.length > INVOICE_PAYLOAD_MAX_BYTES) return null;
  const parts = raw.split('|');
  if (parts.length !== 6) return null;
  const [version, credits, stars, purchaseId, createdAt, resume] = parts as [string, string, string, string, string, string];
  if (version !== PAYLOAD_VERSION) return null;
  const num = (s: string, max: number) => (/^[1-9]\d{0,11}$/.test(s) && Number(s) <= max ? Number(s) : null);
  const c = num(credits, PACK_CREDITS_MAX);
  const st = num(stars, STARS_MAX);
  const at = num(createdAt, 99_999_999_999);
  if (c === null || st === null || at === null || !PURCHASE_ID.test(purchaseId)) return null;
  if (resume !== '' && !RESUME_PATTERN.test(resume)) return null;
  return { credits: c, stars: st, purchaseId, createdAt: at, ...(resume ? { resume } : {}) };
}

/** An invoice older than this is refused at pre-checkout (the seller asks for a new one). */
export const INVOICE_MAX_AGE_SECONDS = 24 * 3600;

export type PreCheckoutDecision =
  | { ok: true; payload: InvoicePayload }
  | { ok: false; reason: 'malformed' | 'unknown_pack' | 'stale' | 'wrong_currency' | 'wrong_amount' };

/**
 * The pre-checkout decision, from the query alone and the packs configured now: no I/O, so it
 * is answered well within Telegram's 10 s. A pack no longer on offer (changed or withdrawn)
 * is `unknown_pack`; the price Telegram charges must be the pack's.
 */
export function decidePreCheckout(
  q: { currency: string; total_amount: number; invoice_payload: string },
  packs: readonly CreditPack[],
  nowSeconds: number,
): PreCheckoutDecision {
  const payload = decodeInvoicePayload(q.invoice_payload);
  if (!payload) return { ok: false, reason: 'malformed' };
  if (q.currency !== 'XTR') return { ok: false, reason: 'wrong_currency' };
  if (!findPack(packs, payload.credits, payload.stars)) return { ok: false, reason: 'unknown_pack' };
  if (q.total_amount !== payload.stars) return { ok: false, reason: 'wrong_amount' };
  // A clock a little behind ours is not staleness; an invoice from the future is forged.
  if (nowSeconds - payload.createdAt > INVOICE_MAX_AGE_SECONDS || payload.createdAt - nowSeconds > 300)
    return { ok: false, reason: 'stale' };
  return { ok: true, payload };
}

/**
 * Inline buttons of the purchase flow (answered by bot-gateway, within Telegram's 64 bytes):
 * `packs[|<resume>]` shows the packs (under the balance, and "Top up and continue" under a
 * refused order, sent by the notifier); `buy|<credits>[|<resume>]` sends that pack's invoice.
 */
export type PaymentCallback =
  | { action: 'packs'; resume?: string }
  | { action: 'buy'; credits: number; resume?: string };

export const packsCallback = (resume?: string): string => (resume ? `packs|${resume}` : 'packs');
export const buyCallback = (credits: number, resume?: string): string =>
  resume ? `buy|${credits}|${resume}` : `buy|${credits}`;

/** The purchase-flow button, or null for any other callback data (or a forged one). */
export function decodePaymentCallback(raw: string | undefined): PaymentCallback | null {
  if (!raw || raw.length > 64) return null;
  const [action, ...rest] = raw.split('|');
  const resumeOf = (s: string | undefined): string | undefined | null =>
    s === undefined ? undefined : RESUME_PATTERN.test(s) ? s : null;
  if (action === 'packs' && rest.length <= 1) {
    const resume = resumeOf(rest[0]);
    if (resume === null) return null;
    return resume ? { action, resume } : { action };
  }
  if (action === 'buy' && rest.length >= 1 && rest.length <= 2) {
    if (!/^[1-9]\d{0,5}$/.test(rest[0]!)) return null;
    const resume = resumeOf(rest[1]);
    if (resume === null) return null;
    const credits = Number(rest[0]);
    return resume ? { action, credits, resume } : { action, credits };
  }
  return null;
}
