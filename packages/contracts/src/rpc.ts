import { z } from 'zod';
import { accountName, failureClass, locale, modelId, telegramId, templateId, uuidLike, videoCount } from './common';

const keyState = z.enum(['ok', 'cooling', 'blocked']);

/**
 * Core NATS request/reply subjects (not stored in a stream). They have three tokens, so
 * the BILLING stream (`billing.*.*.*`) never captures them: a stream that captured a
 * request subject would answer the requester with its own publish ack.
 */
export const rpc = {
  'billing.balance.get': {
    request: z.object({ userId: telegramId }),
    response: z.object({
      userId: telegramId,
      balance: z.number().int().nonnegative(),
      held: z.number().int().nonnegative(),
    }),
  },
  /**
   * A seller's latest ledger lines for `/balance`: grants, Stars purchases, paid videos, refunds
   * of failed videos (`release`), credits taken back by a refund of Stars (`refund`); not holds.
   */
  'billing.ledger.list': {
    request: z.object({ userId: telegramId, limit: z.number().int().min(1).max(20) }),
    response: z.object({
      lines: z.array(
        z.object({
          kind: z.enum(['grant', 'purchase', 'capture', 'release', 'refund']),
          amount: z.number().int().positive(),
          /** The order of a capture or release; null for a grant. */
          orderId: z.string().nullable(),
          /** Who granted (a Telegram id or a name such as the welcome grantor); null otherwise. */
          grantedBy: z.string().nullable(),
          /** ISO 8601, when the line was written. */
          at: z.string(),
        }),
      ),
    }),
  },
  /**
   * Where an order's credits stand, for the order summary: `settled` once every video's
   * credit was captured or released; `balance` is its owner's balance now.
   */
  'billing.order.get': {
    request: z.object({ orderId: uuidLike }),
    response: z.object({
      orderId: uuidLike,
      /** False when billing holds nothing for it (rejected, or not reserved yet). */
      found: z.boolean(),
      settled: z.boolean(),
      balance: z.number().int().nonnegative(),
    }),
  },
  'billing.credits.grant': {
    request: z.object({
      /** Idempotency key: the same grantId grants once. */
      grantId: uuidLike,
      userId: telegramId,
      amount: z.number().int().positive().max(1_000_000),
      grantedBy: z.union([telegramId, z.string().min(1)]),
      /** The recipient's language, passed on to the granted event for the notifier. */
      locale: locale.optional(),
    }),
    response: z.object({
      grantId: uuidLike,
      userId: telegramId,
      balance: z.number().int().nonnegative(),
      /** False when this grantId had been applied before (the balance is still current). */
      applied: z.boolean(),
    }),
  },
  /**
   * A Stars purchase by its charge id, for admin `/refund`: Telegram's refundStarPayment needs
   * the buyer's user id (https://core.telegram.org/bots/api#refundstarpayment).
   */
  'billing.purchase.get': {
    request: z.object({ chargeId: z.string().min(1).max(256) }),
    response: z.object({
      found: z.boolean(),
      userId: telegramId.nullable(),
      credits: z.number().int().nonnegative(),
      stars: z.number().int().nonnegative(),
      refunded: z.boolean(),
      /**
       * The buyer's credits held now for videos in work. `/refund` waits until it is 0: a held
       * credit released after the refund would come back to a balance the Stars were paid back for.
       */
      held: z.number().int().nonnegative(),
    }),
  },
  /**
   * Admin `/refund <charge_id>`, after Telegram refunded the Stars: takes back the purchase's
   * credits that are still unspent (never below zero; held credits are not spendable) and
   * records the refund. Idempotent by charge id: a second call changes nothing and says so.
   */
  'billing.purchase.refund': {
    request: z.object({ chargeId: z.string().min(1).max(256), adminId: telegramId }),
    response: z.object({
      chargeId: z.string(),
      /** False when no purchase has that charge id (nothing changed). */
      found: z.boolean(),
      userId: telegramId.nullable(),
      /** The purchase's credits. */
      credits: z.number().int().nonnegative(),
      /** Credits taken back from the balance by this refund (the first one). */
      takenBack: z.number().int().nonnegative(),
      /** Credits of the purchase already spent or held, which could not be taken back. */
      notTakenBack: z.number().int().nonnegative(),
      /** True when the charge had been refunded before: this call changed nothing. */
      alreadyRefunded: z.boolean(),
      /** The owner's balance now. */
      balance: z.number().int().nonnegative(),
    }),
  },
  'orchestrator.stats.get': {
    request: z.object({}),
    response: z.object({
      ordersToday: z.number().int().nonnegative(),
      jobsInFlight: z.number().int().nonnegative(),
      failedTodayByReason: z.record(z.string(), z.number().int().nonnegative()),
    }),
  },
  /** A seller's latest orders, newest first, each with its videos, for `/orders`. */
  'orchestrator.orders.list': {
    request: z.object({ userId: telegramId, limit: z.number().int().min(1).max(20) }),
    response: z.object({
      orders: z.array(
        z.object({
          orderId: uuidLike,
          placedAt: z.string().datetime(),
          template: templateId,
          /** Null for orders placed before the model catalogue. */
          model: modelId.nullable(),
          count: videoCount,
          /** placed: credits not yet held; active: videos in work; completed: every video has an outcome. */
          status: z.enum(['placed', 'active', 'completed']),
          jobs: z.array(
            z.object({
              jobId: uuidLike,
              index: z.number().int().positive(),
              /** queued: not yet at KIE; generating: KIE works on it (or it is being sent). */
              state: z.enum(['queued', 'generating', 'delivered', 'failed']),
              failureReason: failureClass.nullable(),
              /** Telegram's file_id of a delivered video (re-sendable); null otherwise. */
              fileId: z.string().nullable(),
            }),
          ),
        }),
      ),
    }),
  },
  /** One video of a seller, to send it again by its Telegram file_id; found only if it is the seller's. */
  'orchestrator.video.get': {
    request: z.object({ userId: telegramId, jobId: uuidLike }),
    response: z.object({ found: z.boolean(), fileId: z.string().nullable() }),
  },
  /** Accounts, keys, models and the queue, for `/stats` and `/keys`. */
  'kie.keys.stats': {
    request: z.object({}),
    response: z.object({
      queueDepth: z.number().int().nonnegative(),
      keys: z.array(
        z.object({
          name: z.string(),
          account: accountName,
          state: keyState,
          inFlight: z.number().int().nonnegative(),
          until: z.string().nullable(),
          /** Why it is blocked or cooling (KIE's message), when it is. */
          reason: z.string().nullable(),
        }),
      ),
      accounts: z.array(
        z.object({
          name: accountName,
          state: keyState,
          until: z.string().nullable(),
          /** New tasks in the current submission window, and the window's limit. */
          budgetUsed: z.number().int().nonnegative(),
          budgetLimit: z.number().int().positive(),
          inFlight: z.number().int().nonnegative(),
          maxInFlight: z.number().int().positive(),
          /** KIE credits at the last check; null before the first. */
          credits: z.number().nullable(),
          creditsCheckedAt: z.string().nullable(),
        }),
      ),
      models: z.array(
        z.object({
          id: modelId,
          /** False when an admin turned it off or no account can run it. */
          offered: z.boolean(),
          disabledBy: z.enum(['admin', 'kie']).nullable(),
          /** Accounts where KIE refused the model (configuration error). */
          unavailableOn: z.array(accountName),
        }),
      ),
    }),
  },
  /**
   * Where videos stand in the fair queue and how long until they arrive (honest waits).
   * With `orderId`: that order's first video still waiting (`waiting` = its videos not yet
   * sent to KIE; 0 when none waits). Otherwise: a new order of `count` videos of `model` by
   * `seller`, as if confirmed now (the gateway's confirmation).
   */
  'kie.queue.estimate': {
    request: z.object({
      seller: telegramId,
      /** Absent: the dispatcher's default model. */
      model: modelId.optional(),
      count: videoCount.optional(),
      orderId: uuidLike.optional(),
    }),
    response: z.object({
      /** Videos ahead of the (first waiting) video in the fair order; 0 = next. */
      position: z.number().int().nonnegative(),
      /** Seconds until that video is ready (queue + generation); null: no key can take work now. */
      waitSeconds: z.number().int().nonnegative().nullable(),
      /** Seconds until the order's last video is ready; null as above. */
      lastWaitSeconds: z.number().int().nonnegative().nullable(),
      /** The order's videos not yet sent to KIE (the count asked, for a new order). */
      waiting: z.number().int().nonnegative(),
    }),
  },
  /** Admin `/unblock <key>`: lifts a block or cool-down of a key (or of an account by its name). */
  'kie.keys.unblock': {
    request: z.object({ target: z.string().min(1).max(64), adminId: telegramId }),
    response: z.object({
      /** The keys whose block or cool-down was lifted (empty when none was blocked). */
      unblocked: z.array(z.string()),
      /** False when no key or account has that name. */
      known: z.boolean(),
    }),
  },
  /** Admin `/model on|off <id>`: offers a model again (on every account) or stops offering it. */
  'kie.models.set': {
    request: z.object({ model: modelId, enabled: z.boolean(), adminId: telegramId }),
    response: z.object({
      model: modelId,
      /** False when the model is not in `KIE_MODELS`. */
      known: z.boolean(),
      offered: z.boolean(),
    }),
  },
} as const;

/** A failed request/reply call answers with this shape instead of the response. */
export const rpcError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type Rpc = typeof rpc;
export type RpcSubject = keyof Rpc;
export type RpcRequest<S extends RpcSubject> = z.infer<Rpc[S]['request']>;
export type RpcResponse<S extends RpcSubject> = z.infer<Rpc[S]['response']>;
