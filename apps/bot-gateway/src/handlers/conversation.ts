import { randomBytes, randomUUID } from 'node:crypto';
import { Composer, type Context } from 'grammy';
import { createEvent, deterministicId, WELCOME_GRANTOR } from '@neurocards/contracts';
import { pickLocale } from '@neurocards/i18n';
import type { Logger, Publish } from '@neurocards/platform';
import type { PhotoStore } from '../adapters/photo-store';
import type { OfferSource } from '../adapters/model-offer';
import { publishUntilAcked } from '../adapters/publish-retry';
import type { BillingClient, QueueClient } from '../adapters/rpc-clients';
import type { SessionStore } from '../adapters/session-store';
import { decodeCallback } from '../domain/callback-data';
import { welcomeGrantId } from '../domain/commands';
import { transition, type Effect, type Input, type Outcome, type Reply } from '../domain/conversation';
import { newSession, type Session } from '../domain/session';
import type { T } from '../i18n';
import { TemporaryFailure } from './guard';
import { classifyMessage } from './input';
import { renderAnswer, renderReply, type Facts } from './render';
import { confirmWaitLine, DEFAULT_QUEUE_WARN_AFTER_MS } from './wait-warning';

export interface ConversationDeps {
  sessions: SessionStore;
  photos: PhotoStore;
  billing: BillingClient;
  /** The models on offer (KV `kie_models`): an order carries the default model and its price. */
  offers: OfferSource;
  publish: Publish;
  t: T;
  log: Logger;
  welcomeCredits: number;
  supportContact?: string | undefined;
  /** The dispatcher's queue estimate for the confirmation's wait line (absent: no line). */
  queue?: QueueClient;
  /** QUEUE_WARN_AFTER in ms. */
  queueWarnAfterMs?: number;
  /**
   * How long an order publish is retried before the seller is told to press again
   * (the session is then unchanged, so the next press publishes the same order id).
   */
  orderAckDeadlineMs?: number;
  /** Ids of a new draft; tests may pin them. */
  newIds?: () => { draftId: string; orderId: string };
}

/** Re-reads after a lost compare-and-set; more than a couple means something is wrong. */
const MAX_ATTEMPTS = 5;
/** A few seconds: a NATS restart fits, and the seller still connects the answer to the press. */
const ORDER_ACK_DEADLINE_MS = 8000;

const defaultIds = () => ({ draftId: randomBytes(6).toString('base64url'), orderId: randomUUID() });

/**
 * Wires Telegram messages and button presses to the conversation state machine:
 * load session → decide (pure) → effect → compare-and-set save → reply.
 * The effect (publishing the order) runs before the save: it is idempotent by event id
 * (derived from the draft's orderId), so if the save loses a race and the decision is
 * re-made, or the seller presses again after a failed publish, nothing is published twice.
 * A failure anywhere before the save changes nothing: the guard tells the seller to repeat.
 */
export function conversationComposer(deps: ConversationDeps): Composer<Context> {
  const log = deps.log.child({ module: 'conversation' });
  const newIds = deps.newIds ?? defaultIds;
  const c = new Composer<Context>();

  c.on('callback_query:data', (ctx) =>
    handle(ctx, { kind: 'button', data: decodeCallback(ctx.callbackQuery.data) }),
  );
  c.on('callback_query', (ctx) => ctx.answerCallbackQuery());

  c.on('message', async (ctx) => {
    const incoming = classifyMessage(ctx.message, ctx.me.username);
    if (incoming.kind === 'input') return handle(ctx, incoming.input);
    const stored = await deps.photos.fetchAndStore(incoming.candidate);
    const input: Input = stored.ok
      ? { kind: 'photo', photo: stored.photo, ...newIds() }
      : { kind: 'photoRejected', reason: stored.reason };
    return handle(ctx, input);
  });

  async function handle(ctx: Context, input: Input): Promise<void> {
    const chatId = ctx.chat?.id;
    const from = ctx.from;
    if (chatId === undefined || !from) return;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const loaded = await deps.sessions.load(chatId);
      const current = withLocale(loaded.session, from.language_code);
      const offer = await deps.offers.current();
      const out = transition(current, input, { userId: from.id, chatId, offer });
      if (out.effect) await runEffect(out.effect);
      if (
        out.session !== loaded.session &&
        !(await deps.sessions.save(chatId, out.session, loaded.revision))
      ) {
        log.debug({ chatId, attempt }, 'session changed concurrently; deciding again');
        continue;
      }
      await respond(ctx, out);
      return;
    }
    throw new Error(`session of chat ${chatId} kept changing concurrently`);
  }

  async function runEffect(effect: Effect): Promise<void> {
    switch (effect.type) {
      case 'placeOrder': {
        const { orderId } = effect.order;
        const event = createEvent({
          subject: 'orders.order.placed.v1',
          id: deterministicId('orders.order.placed', orderId),
          correlationId: orderId,
          data: effect.order,
        });
        try {
          await publishUntilAcked(deps.publish, event, {
            deadlineMs: deps.orderAckDeadlineMs ?? ORDER_ACK_DEADLINE_MS,
            onRetry: (attempt, err) => log.warn({ err, orderId, attempt }, 'order publish not acknowledged; retrying'),
          });
        } catch (err) {
          // The session is saved only after this: the draft stays at Confirm for the next press.
          throw new TemporaryFailure(`order ${orderId} not acknowledged`, { cause: err });
        }
        log.info(
          {
            orderId,
            eventId: event.id,
            subject: event.type,
            userId: effect.order.userId,
            count: effect.order.count,
            model: effect.order.spec?.model,
            creditsPerVideo: effect.order.creditsPerVideo,
          },
          'order placed',
        );
        return;
      }
    }
  }

  async function respond(ctx: Context, out: Outcome): Promise<void> {
    const locale = out.session.locale;
    if (out.answer) await ctx.answerCallbackQuery(renderAnswer(deps.t, locale, out.answer));
    for (const reply of out.replies) {
      const r = renderReply(deps.t, locale, reply, await gatherFacts(ctx, reply, locale));
      await ctx.reply(r.text, r.keyboard ? { reply_markup: r.keyboard } : {});
    }
  }

  /** Looks up what a reply shows besides the state: balance, welcome bonus, names. */
  async function gatherFacts(ctx: Context, reply: Reply, locale: Session['locale']): Promise<Facts> {
    const userId = ctx.from!.id;
    switch (reply.type) {
      case 'welcome': {
        const facts: Facts = { firstName: ctx.from?.first_name };
        if (deps.welcomeCredits > 0) {
          try {
            const g = await deps.billing.grant({
              grantId: welcomeGrantId(userId),
              userId,
              amount: deps.welcomeCredits,
              grantedBy: WELCOME_GRANTOR,
            });
            return { ...facts, balance: g.balance, bonus: g.applied ? deps.welcomeCredits : null };
          } catch (err) {
            // Granted on a later /start: the grantId makes it once-only whenever it lands.
            log.warn({ err, userId }, 'welcome grant failed');
          }
        }
        return { ...facts, balance: (await deps.billing.balance(userId))?.balance ?? null };
      }
      case 'askCount':
        return { balance: (await deps.billing.balance(userId))?.balance ?? null };
      case 'help':
      case 'unknownCommand':
        return { supportContact: deps.supportContact };
      case 'summary': {
        if (!deps.queue) return {};
        const d = reply.draft;
        const line = await confirmWaitLine(
          { queue: deps.queue, t: deps.t, warnAfterMs: deps.queueWarnAfterMs ?? DEFAULT_QUEUE_WARN_AFTER_MS },
          locale,
          { seller: userId, model: d.spec.model, count: d.count },
        );
        return { waitWarning: line };
      }
      // Replies that show nothing beyond the state; a new reply type must be placed here or above.
      case 'cancelled':
      case 'nothingToCancel':
      case 'askTemplate':
      case 'askWishes':
      case 'orderSent':
      case 'expectPhoto':
      case 'photoRejected':
      case 'useButtons':
      case 'wishesRequired':
      case 'wishesTooLong':
      case 'wishesNotText':
      case 'unavailable':
      case 'offerChanged':
        return {};
    }
  }

  return c;
}

/** The chat's session with the locale of the user's current Telegram language. */
function withLocale(session: Session | null, languageCode: string | undefined): Session {
  const base = session ?? newSession(pickLocale(languageCode));
  if (!languageCode) return base;
  const locale = pickLocale(languageCode);
  return locale === base.locale ? base : { ...base, locale };
}
