import { randomBytes, randomUUID } from 'node:crypto';
import { Composer, GrammyError, type Context } from 'grammy';
import { createEvent, deterministicId, WELCOME_GRANTOR } from '@neurocards/contracts';
import { pickLocale } from '@neurocards/i18n';
import type { Logger, Publish } from '@neurocards/platform';
import type { PhotoStore } from '../adapters/photo-store';
import type { OfferSource } from '../adapters/model-offer';
import { publishUntilAcked } from '../adapters/publish-retry';
import { answerCallbackQuietly } from '../adapters/telegram-errors';
import type { BillingClient, QueueClient } from '../adapters/rpc-clients';
import type { SessionStore } from '../adapters/session-store';
import { decodeCallback } from '../domain/callback-data';
import { welcomeGrantId } from '../domain/commands';
import { transition, type Effect, type Input, type Outcome, type Reply } from '../domain/conversation';
import { isComplete, newSession, type Draft, type Session } from '../domain/session';
import type { T } from '../i18n';
import { TemporaryFailure } from './guard';
import { classifyMessage } from './input';
import { renderAnswer, renderReply, type Facts, type Rendered } from './render';
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

/** Lines /balance shows: a screenful, the latest first. */
const LEDGER_LINES = 10;

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
    handle(ctx, { kind: 'button', data: decodeCallback(ctx.callbackQuery.data), ids: newIds() }),
  );
  c.on('callback_query', (ctx) => answerCallbackQuietly(ctx));

  c.on('message', async (ctx) => {
    const incoming = classifyMessage(ctx.message, ctx.me.username);
    if (incoming.kind === 'input') return handle(ctx, incoming.input);
    const { mediaGroupId, caption } = incoming;
    // A further photo of an album that already made its draft is not even downloaded; the
    // state machine decides again after the save, so concurrent album updates make one draft.
    if (mediaGroupId && (await deps.sessions.load(ctx.chat.id)).session?.albums?.includes(mediaGroupId))
      return handle(ctx, { kind: 'albumPhoto', mediaGroupId });
    const stored = await deps.photos.fetchAndStore(incoming.candidate);
    const input: Input = stored.ok
      ? { kind: 'photo', photo: stored.photo, ...newIds(), caption, mediaGroupId }
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
      if (out.effect) await runEffect(out.effect, ctx.update.update_id);
      if (
        out.session !== loaded.session &&
        !(await deps.sessions.save(chatId, out.session, loaded.revision))
      ) {
        log.debug({ chatId, attempt }, 'session changed concurrently; deciding again');
        continue;
      }
      // "Continue the order" sits under the top-up receipt, far below the draft's message:
      // the receipt stays, and the confirmation comes as a message of its own (the draft's
      // message from then on).
      const keepPressed = input.kind === 'button' && input.data?.action === 'continue';
      await respond(ctx, out, loaded.session?.draft ?? null, keepPressed);
      return;
    }
    throw new Error(`session of chat ${chatId} kept changing concurrently`);
  }

  async function runEffect(effect: Effect, updateId: number): Promise<void> {
    switch (effect.type) {
      case 'languageSet': {
        const { userId, chatId, locale } = effect;
        const event = createEvent({
          subject: 'users.language.set.v1',
          // One event per press: a redelivered update is dropped by the duplicate window.
          id: deterministicId('users.language.set.v1', String(chatId), String(updateId)),
          correlationId: String(chatId),
          data: { userId, chatId, locale, setAt: new Date().toISOString() },
        });
        try {
          await publishUntilAcked(deps.publish, event, { deadlineMs: deps.orderAckDeadlineMs ?? ORDER_ACK_DEADLINE_MS });
        } catch (err) {
          // The session is saved only after this: the seller presses the language again.
          throw new TemporaryFailure(`language choice of chat ${chatId} not acknowledged`, { cause: err });
        }
        log.info({ chatId, userId, locale, eventId: event.id, subject: event.type }, 'language chosen');
        return;
      }
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

  /**
   * Sends the replies. The draft is one message edited in place: a pressed button's answer
   * replaces the message it was under; a step reached by typing (the wishes) edits the
   * draft's message when it is known. Anything else is a new message; a new draft's
   * message id is remembered for the next edit.
   */
  async function respond(ctx: Context, out: Outcome, before: Draft | null, keepPressed = false): Promise<void> {
    const locale = out.session.locale;
    const chatId = ctx.chat!.id;
    if (out.answer) {
      const answer = renderAnswer(deps.t, locale, out.answer);
      // Too late for a toast (a press replayed after a crash): a message carries what the
      // toast would have said, so the press is never left without a word.
      const toasted = await answerCallbackQuietly(ctx, answer);
      if (!toasted && answer.text && out.replies.length === 0) await ctx.reply(answer.text);
    }
    const pressed = ctx.callbackQuery?.message?.message_id;
    let first = true;
    for (const reply of out.replies) {
      const r = renderReply(deps.t, locale, reply, await gatherFacts(ctx, reply, locale));
      // A typed step of the same draft edits its message; a new draft (a photo) gets a new one.
      const sameDraft = reply.type === 'screen' && before !== null && reply.draft.id === before.id;
      // A pressed button's message is replaced, unless the press starts a new draft (the
      // buttons under a video or summary): that one gets a message of its own.
      const newDraft = reply.type === 'screen' && reply.draft.id !== before?.id;
      const target = keepPressed
        ? undefined
        : pressed !== undefined
          ? first && !newDraft
            ? pressed
            : undefined
          : sameDraft
            ? before.messageId
            : undefined;
      first = false;
      if (target !== undefined && (await edit(ctx, chatId, target, r))) continue;
      const sent = await ctx.reply(r.text, r.keyboard ? { reply_markup: r.keyboard } : {});
      if (reply.type === 'screen') await rememberMessage(chatId, reply.draft.id, sent.message_id);
    }
  }

  /** Edits a message in place; false when it cannot be edited (gone, too old), so a new one is sent. */
  async function edit(ctx: Context, chatId: number, messageId: number, r: Rendered): Promise<boolean> {
    try {
      await ctx.api.editMessageText(chatId, messageId, r.text, r.keyboard ? { reply_markup: r.keyboard } : {});
      return true;
    } catch (err) {
      // The same content again (a repeated press): the message already shows it.
      if (err instanceof GrammyError && /message is not modified/i.test(err.description)) return true;
      if (err instanceof GrammyError && err.error_code === 400) {
        log.info({ chatId, messageId, err: err.description }, 'draft message not editable; sending a new one');
        return false;
      }
      throw err;
    }
  }

  /** Records the draft's message id, so later steps edit it (best effort: else they send anew). */
  async function rememberMessage(chatId: number, draftId: string, messageId: number): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const loaded = await deps.sessions.load(chatId);
      const d = loaded.session?.draft;
      if (!loaded.session || !d || d.id !== draftId || d.messageId === messageId) return;
      const next: Session = { ...loaded.session, draft: { ...d, messageId } };
      if (await deps.sessions.save(chatId, next, loaded.revision)) return;
    }
    log.warn({ chatId, draftId }, 'could not record the draft message id');
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
      case 'screen': {
        const d = reply.draft;
        if (d.step === 'count') return { balance: (await deps.billing.balance(userId))?.balance ?? null };
        if (!isComplete(d) || !deps.queue) return {};
        // The confirmation says so when the expected wait is long (docs/design.md §6.1).
        const line = await confirmWaitLine(
          { queue: deps.queue, t: deps.t, warnAfterMs: deps.queueWarnAfterMs ?? DEFAULT_QUEUE_WARN_AFTER_MS },
          locale,
          { seller: userId, model: d.spec.model, count: d.count },
        );
        return line ? { waitWarning: line } : {};
      }
      case 'balance': {
        const [b, l] = await Promise.all([deps.billing.balance(userId), deps.billing.ledger(userId, LEDGER_LINES)]);
        const ledger =
          l?.lines.map((x) => ({
            kind: x.kind === 'grant' && x.grantedBy === WELCOME_GRANTOR ? ('welcome' as const) : x.kind,
            amount: x.amount,
            orderId: x.orderId,
            at: x.at,
          })) ?? null;
        return { balance: b?.balance ?? null, held: b?.held ?? null, ledger };
      }
      case 'help':
      case 'unknownCommand':
        return { supportContact: deps.supportContact };
      // Replies that show nothing beyond the state; a new reply type must be placed here or above.
      case 'cancelled':
      case 'nothingToCancel':
      case 'orderSent':
      case 'albumNote':
      case 'captionTooLong':
      case 'languageMenu':
      case 'languageSet':
      case 'expectPhoto':
      case 'photoRejected':
      case 'useButtons':
      case 'wishesRequired':
      case 'wishesTooLong':
      case 'wishesNotText':
      case 'unavailable':
        return {};
    }
  }

  return c;
}

/**
 * The chat's session with the locale of the user's current Telegram language, unless the
 * seller chose one with /language.
 */
function withLocale(session: Session | null, languageCode: string | undefined): Session {
  const base = session ?? newSession(pickLocale(languageCode));
  if (!languageCode || base.localeChosen) return base;
  const locale = pickLocale(languageCode);
  return locale === base.locale ? base : { ...base, locale };
}
