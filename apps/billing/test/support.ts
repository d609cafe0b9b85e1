import {
  createEvent as buildEvent,
  type Envelope,
  type FailureClass,
  type NewEvent,
  type Subject,
  type VideoCount,
} from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import type { EventOf, HandlerContext, Sql } from '@neurocards/platform';
import { createTestSchema, handlerContext } from '@neurocards/platform/testing';
import { migrations, SCHEMA } from '../src/adapters/migrations';

/** Test support: a fresh database with billing's schema migrated, and event builders. */
export const setupBillingDb = (poolSize = 10) => createTestSchema(SCHEMA, migrations, { poolSize });

/** createEvent, typed as the handler receives it: contracts types the envelope `type` as string, it is S. */
const createEvent = <S extends Subject>(e: NewEvent<S>) => buildEvent(e) as unknown as EventOf<S>;

/** A consumer's handler context; tests share one processOnce scope per file. */
export const ctx = (): HandlerContext => handlerContext('billing-test');

let seq = 0;
/** A user id no other test in this file uses. */
export const nextUserId = () => 500_000_000 + ++seq;

/**
 * An order placed by `userId`. Without `creditsPerVideo` it is an order from before models
 * had prices (no spec, no price: 1 credit per video).
 */
export function placed(orderId: string, userId: number, count: VideoCount, id?: string, creditsPerVideo?: number) {
  const { spec, creditsPerVideo: _price, ...unpriced } = validFixtures['orders.order.placed.v1'];
  const priced = creditsPerVideo === undefined ? {} : { spec: spec!, creditsPerVideo };
  return createEvent({
    subject: 'orders.order.placed.v1',
    data: { ...unpriced, ...priced, orderId, userId, chatId: userId, count },
    correlationId: orderId,
    ...(id ? { id } : {}),
  });
}

export function delivered(orderId: string, jobId: string, id?: string) {
  return createEvent({
    subject: 'jobs.video.delivered.v1',
    data: { ...validFixtures['jobs.video.delivered.v1'], orderId, jobId },
    correlationId: orderId,
    ...(id ? { id } : {}),
  });
}

export function failed(orderId: string, jobId: string, reason: FailureClass = 'exhausted') {
  return createEvent({
    subject: 'jobs.video.failed.v1',
    data: { ...validFixtures['jobs.video.failed.v1'], orderId, jobId, reason },
    correlationId: orderId,
  });
}

/** Events the handlers wrote to the outbox for one correlation id, in commit order. */
export async function outboxFor(sql: Sql, correlationId: string): Promise<Envelope[]> {
  const rows = await sql<{ payload: Envelope }[]>`
    select payload from outbox where payload->>'correlationId' = ${correlationId} order by seq`;
  return rows.map((r) => r.payload);
}

let charges = 0;
/** A Stars payment of `credits` for `userId`; a fresh charge id unless given. */
export function starPaid(userId: number, credits: number, o: { chargeId?: string; id?: string; stars?: number } = {}) {
  const chargeId = o.chargeId ?? `charge-${Date.now()}-${++charges}`;
  return createEvent({
    subject: 'payments.star.paid.v1',
    data: {
      ...validFixtures['payments.star.paid.v1'],
      userId,
      chatId: userId,
      chargeId,
      providerChargeId: `provider-${chargeId}`,
      credits,
      stars: o.stars ?? credits * 15,
      purchaseId: `purchase${charges}xyz`,
    },
    correlationId: chargeId,
    ...(o.id ? { id: o.id } : {}),
  });
}
