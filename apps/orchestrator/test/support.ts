import { createEvent, randomId, type Envelope, type EventData, type Subject } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import type { HandlerContext, Sql } from '@neurocards/platform';
import { createTestSchema, handlerContext, silentLogger } from '@neurocards/platform/testing';
import { migrations, SCHEMA } from '../src/adapters/migrations';
import type { PhotoStore } from '../src/adapters/photos';
import type { Deps } from '../src/handlers/deps';

/** Test support: a fresh migrated database and event builders. */
export const setupDatabase = () => createTestSchema(SCHEMA, migrations, { poolSize: 5 });

export const noPhotos: PhotoStore = { read: async () => null };

export function testDeps(sql: Sql, over: Partial<Deps> = {}): Deps {
  return {
    sql,
    log: silentLogger(),
    photos: noPhotos,
    writer: null,
    generationDeadlineMs: 30 * 60_000,
    ...over,
  };
}

/** A consumer's handler context; tests share one processOnce scope per file. */
export const ctx = (deliveryCount = 1): HandlerContext => handlerContext('orchestrator-test', { deliveryCount });

export function ev<S extends Subject>(subject: S, data: EventData<S>, id?: string): Envelope<EventData<S>> & { type: S } {
  return createEvent({ subject, data, correlationId: (data as { orderId?: string }).orderId ?? 'none', ...(id ? { id } : {}) }) as Envelope<
    EventData<S>
  > & { type: S };
}

/**
 * A placed order and its reservation for `count` videos, with a unique order id. The
 * fixture's spec (Kling 3.0, portrait, 5 s, 2 credits) unless `over` says otherwise.
 */
export function newOrder(count: 1 | 3 | 5 = 3, over: Partial<EventData<'orders.order.placed.v1'>> = {}) {
  const orderId = randomId();
  const placed = ev('orders.order.placed.v1', { ...validFixtures['orders.order.placed.v1'], orderId, count, ...over });
  const reserved = ev('billing.credits.reserved.v1', {
    ...validFixtures['billing.credits.reserved.v1'],
    orderId,
    amount: count * (placed.data.creditsPerVideo ?? 1),
  });
  return { orderId, placed, reserved };
}

export interface OutboxRow {
  subject: string;
  payload: Envelope<Record<string, unknown>>;
}

/** Events the orchestrator enqueued for one order, in commit order. */
export async function outboxOf(sql: Sql, orderId: string, subject?: Subject): Promise<OutboxRow[]> {
  const rows = await sql<OutboxRow[]>`
    select subject, payload from outbox
    where payload->>'correlationId' = ${orderId} ${subject ? sql`and subject = ${subject}` : sql``}
    order by seq`;
  return rows;
}

export async function jobsOf(sql: Sql, orderId: string) {
  return sql<{ job_id: string; video_index: number; state: string; failure_reason: string | null; prompt: string | null }[]>`
    select job_id, video_index, state, failure_reason, prompt from jobs where order_id = ${orderId} order by video_index`;
}
