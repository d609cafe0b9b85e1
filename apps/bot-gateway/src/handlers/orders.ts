import { Composer, InlineKeyboard, type Context } from 'grammy';
import type { FailureClass, Locale, RpcResponse } from '@neurocards/contracts';
import { pickLocale } from '@neurocards/i18n';
import type { Logger } from '@neurocards/platform';
import type { OfferSource } from '../adapters/model-offer';
import type { OrdersClient, QueueClient } from '../adapters/rpc-clients';
import { parseCommand } from '../domain/commands';
import type { T, TextKey } from '../i18n';
import { formatDate } from './render';

/** Orders /orders shows: a screenful, the newest first. */
export const ORDERS_SHOWN = 10;

/** The re-send button's data: `rv:<jobId>` (39 bytes for a UUID, within Telegram's 64). */
const RESEND = 'rv:';
export const resendCallback = (jobId: string) => `${RESEND}${jobId}`;
export function parseResendCallback(data: string): string | null {
  if (!data.startsWith(RESEND)) return null;
  const jobId = data.slice(RESEND.length);
  return /^[0-9a-f-]{36}$/i.test(jobId) ? jobId : null;
}

type Order = RpcResponse<'orchestrator.orders.list'>['orders'][number];
type Estimate = RpcResponse<'kie.queue.estimate'>;

const REASON: Record<FailureClass, TextKey> = {
  user_violation: 'ordersReasonUserViolation',
  billing: 'ordersReasonBilling',
  config: 'ordersReasonConfig',
  exhausted: 'ordersReasonExhausted',
  expired: 'ordersReasonExpired',
  undeliverable: 'ordersReasonUndeliverable',
  cancelled: 'ordersReasonCancelled',
};
const TEMPLATE: Record<Order['template'], TextKey> = { ugc: 'templateUgc', ad: 'templateAd', custom: 'templateCustom' };

/** The short order number users and support quote (as the notifier shows it). */
const orderNumber = (orderId: string) => orderId.slice(0, 8).toUpperCase();

/** Pure: the /orders message for these orders (with the queue estimate of those in progress). */
export function renderOrders(
  t: T,
  locale: Locale,
  orders: readonly Order[],
  estimates: ReadonlyMap<string, Estimate>,
  modelLabel: (id: string) => string,
): { text: string; keyboard?: InlineKeyboard } {
  if (orders.length === 0) return { text: t(locale, 'ordersNone') };
  const kb = new InlineKeyboard();
  let buttons = 0;
  const blocks = orders.map((o) => {
    const lines = [
      t(locale, 'ordersOrder', {
        date: formatDate(locale, o.placedAt),
        order: orderNumber(o.orderId),
        template: t(locale, TEMPLATE[o.template]),
        model: o.model ? modelLabel(o.model) : '—',
        count: o.count,
      }),
    ];
    for (const j of o.jobs) {
      const state =
        j.state === 'failed'
          ? t(locale, 'ordersStateFailed', { reason: t(locale, REASON[j.failureReason ?? 'exhausted']) })
          : t(locale, j.state === 'queued' ? 'ordersStateQueued' : j.state === 'generating' ? 'ordersStateGenerating' : 'ordersStateDelivered');
      lines.push(t(locale, 'ordersVideo', { index: j.index, state }));
      if (j.state === 'delivered' && j.fileId) {
        kb.text(t(locale, 'ordersResendButton', { order: orderNumber(o.orderId), index: j.index }), resendCallback(j.jobId)).row();
        buttons++;
      }
    }
    const e = estimates.get(o.orderId);
    if (e && e.waiting > 0 && e.waitSeconds !== null)
      lines.push(t(locale, 'ordersQueue', { position: e.position + 1, minutes: Math.max(1, Math.ceil(e.waitSeconds / 60)) }));
    return lines.join('\n');
  });
  const text = [t(locale, 'ordersTitle'), ...blocks].join('\n\n');
  return buttons > 0 ? { text, keyboard: kb } : { text };
}

export interface OrdersDeps {
  orders: OrdersClient;
  queue: QueueClient;
  offers: OfferSource;
  /** The user's language as the session holds it (chosen with /language), if any. */
  localeOf: (userId: number) => Promise<Locale | undefined>;
  t: T;
  log: Logger;
}

/**
 * `/orders` for every seller: the latest orders with each video's state, the queue position
 * of those in progress, and a button per delivered video that sends it again by its Telegram
 * file_id (KIE's result URLs expire; file_ids do not). Only the seller's own videos.
 */
export function ordersComposer(deps: OrdersDeps): Composer<Context> {
  const log = deps.log.child({ module: 'orders' });
  const c = new Composer<Context>();
  const localeOf = async (ctx: Context): Promise<Locale> => {
    try {
      const chosen = await deps.localeOf(ctx.from!.id);
      if (chosen) return chosen;
    } catch (err) {
      log.warn({ err }, 'language lookup failed');
    }
    return pickLocale(ctx.from?.language_code);
  };

  c.on('message:text', async (ctx, next) => {
    const cmd = parseCommand(ctx.message.text, ctx.me.username);
    if (cmd?.name !== 'orders') return next();
    const userId = ctx.from.id;
    const locale = await localeOf(ctx);
    const list = await deps.orders.list(userId, ORDERS_SHOWN);
    if (!list) {
      await ctx.reply(deps.t(locale, 'ordersUnavailable'));
      return;
    }
    const inProgress = list.orders.filter((o) => o.jobs.some((j) => j.state === 'queued'));
    const estimates = new Map<string, Estimate>();
    await Promise.all(
      inProgress.map(async (o) => {
        const e = await deps.queue.estimate({ seller: userId, orderId: o.orderId });
        if (e) estimates.set(o.orderId, e);
      }),
    );
    const labels = new Map((await deps.offers.current()).map((m) => [m.id, m.label] as const));
    const r = renderOrders(deps.t, locale, list.orders, estimates, (id) => labels.get(id) ?? id);
    log.info({ userId, orders: list.orders.length }, 'orders listed');
    await ctx.reply(r.text, r.keyboard ? { reply_markup: r.keyboard } : {});
  });

  c.on('callback_query:data', async (ctx, next) => {
    const jobId = parseResendCallback(ctx.callbackQuery.data);
    if (jobId === null) return next();
    const userId = ctx.from.id;
    const locale = await localeOf(ctx);
    const video = await deps.orders.video(userId, jobId);
    if (!video) {
      await ctx.answerCallbackQuery({ text: deps.t(locale, 'ordersVideoUnavailable') });
      return;
    }
    if (!video.found || !video.fileId) {
      log.info({ userId, jobId }, 'resend of a video that is not the seller\'s (or not delivered)');
      await ctx.answerCallbackQuery({ text: deps.t(locale, 'ordersVideoUnknown') });
      return;
    }
    // A file_id sent as the video re-sends the stored file (https://core.telegram.org/bots/api#sending-files).
    await ctx.api.sendVideo(ctx.chat?.id ?? userId, video.fileId);
    await ctx.answerCallbackQuery();
    log.info({ userId, jobId }, 'video sent again');
  });
  return c;
}
