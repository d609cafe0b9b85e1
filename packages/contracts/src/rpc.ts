import { z } from 'zod';
import { locale, telegramId, uuidLike } from './common';

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
  'orchestrator.stats.get': {
    request: z.object({}),
    response: z.object({
      ordersToday: z.number().int().nonnegative(),
      jobsInFlight: z.number().int().nonnegative(),
      failedTodayByReason: z.record(z.string(), z.number().int().nonnegative()),
    }),
  },
  'kie.keys.stats': {
    request: z.object({}),
    response: z.object({
      queueDepth: z.number().int().nonnegative(),
      keys: z.array(
        z.object({
          name: z.string(),
          state: z.enum(['ok', 'cooling', 'blocked']),
          inFlight: z.number().int().nonnegative(),
          until: z.string().nullable(),
        }),
      ),
    }),
  },
} as const;

/** A failed request/reply call answers with this shape instead of the response. */
export const rpcError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type Rpc = typeof rpc;
export type RpcSubject = keyof Rpc;
export type RpcRequest<S extends RpcSubject> = z.infer<Rpc[S]['request']>;
export type RpcResponse<S extends RpcSubject> = z.infer<Rpc[S]['response']>;
