import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import postgres from 'postgres';
import { decodeEvent } from '@neurocards/contracts';
import { listParked } from '@neurocards/platform';
import type { SimMessage } from '@neurocards/sandbox';
import { storedEvents } from '../src/events';

/** What the services and the simulators hold after the run: the only input of the invariants. */
export interface Snapshot {
  orders: Array<{
    orderId: string;
    userId: number;
    status: string;
    count: number | null;
    delivered: number | null;
    failed: number | null;
  }>;
  jobs: Array<{ jobId: string; orderId: string; state: string; failureReason: string | null }>;
  ledger: Array<{
    kind: string;
    userId: number;
    amount: number;
    orderId: string | null;
    jobId: string | null;
    grantId: string | null;
    balanceAfter: number;
    heldAfter: number;
  }>;
  accounts: Array<{ userId: number; granted: number; captured: number; held: number }>;
  /** `perVideo`: credits each video of the order costs (the model's price). */
  holds: Array<{
    orderId: string;
    userId: number;
    amount: number;
    perVideo: number;
    captured: number;
    released: number;
  }>;
  rejections: Array<{ orderId: string; userId: number }>;
  deliveries: Array<{
    key: string;
    purpose: string;
    chatId: number;
    status: string;
    messageId: number | null;
  }>;
  /** Unpublished outbox rows per schema. */
  outbox: Record<string, number>;
  /** orders.order.placed.v1 in the ORDERS stream. */
  placed: Array<{ orderId: string; userId: number; count: number }>;
  parked: Array<{ seq: number; consumer: string; subject: string; reason: string; orderId?: string }>;
  /** The bot's messages per seller chat, as the Telegram simulator recorded them. */
  chats: Map<number, SimMessage[]>;
}

export type Sql = postgres.Sql;
export const connectSql = (url: string): Sql =>
  postgres(url, { max: 2, onnotice: () => undefined, idle_timeout: 5 });

const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function readOrchestrator(sql: Sql) {
  const orders =
    await sql`select order_id, user_id, status, count, delivered, failed from orchestrator.orders`;
  const jobs = await sql`select job_id, order_id, state, failure_reason from orchestrator.jobs`;
  return {
    orders: orders.map((r) => ({
      orderId: r.order_id as string,
      userId: Number(r.user_id),
      status: r.status as string,
      count: n(r.count),
      delivered: n(r.delivered),
      failed: n(r.failed),
    })),
    jobs: jobs.map((r) => ({
      jobId: r.job_id as string,
      orderId: r.order_id as string,
      state: r.state as string,
      failureReason: (r.failure_reason as string | null) ?? null,
    })),
  };
}

export async function readOutbox(sql: Sql): Promise<Record<string, number>> {
  const rows = await sql`select table_schema from information_schema.tables where table_name = 'outbox'`;
  const out: Record<string, number> = {};
  for (const r of rows) {
    const schema = r.table_schema as string;
    const [c] = await sql.unsafe(
      `select count(*)::int as c from "${schema}".outbox where published_at is null`,
    );
    out[schema] = Number(c!.c);
  }
  return out;
}

/** Deliveries claimed but not finished, with how long each has been waiting. */
export async function sendingDeliveries(sql: Sql): Promise<Array<{ key: string; ageS: number }>> {
  const rows = await sql`
    select message_key, extract(epoch from now() - created_at)::int as age
    from notifier.deliveries where status = 'sending'`;
  return rows.map((r) => ({ key: r.message_key as string, ageS: Number(r.age) }));
}

export async function placedOrders(nc: NatsConnection) {
  return (await storedEvents(nc, 'ORDERS'))
    .filter((e) => e.type === 'orders.order.placed.v1')
    .map((e) => {
      const d = e.data as { orderId: string; userId: number; count: number };
      return { orderId: d.orderId, userId: d.userId, count: d.count };
    });
}

export async function takeSnapshot(
  sql: Sql,
  nc: NatsConnection,
  chats: Map<number, SimMessage[]>,
): Promise<Snapshot> {
  const { orders, jobs } = await readOrchestrator(sql);
  const ledger =
    await sql`select kind, user_id, amount, order_id, job_id, grant_id, balance_after, held_after from billing.ledger order by seq`;
  const accounts = await sql`select user_id, granted, captured, held from billing.accounts`;
  const holds = await sql`select order_id, user_id, amount, per_video, captured, released from billing.holds`;
  const rejections = await sql`select order_id, user_id from billing.rejections`;
  const deliveries =
    await sql`select message_key, purpose, chat_id, status, telegram_message_id from notifier.deliveries`;
  const jsm = await jetstreamManager(nc);
  const parked = [];
  for (const p of await listParked(jsm).catch(() => [])) {
    const m = await jsm.streams.getMessage('DEAD', { seq: p.seq }).catch(() => null);
    let orderId: string | undefined;
    try {
      if (m) orderId = decodeEvent(p.originalSubject, m.data).correlationId;
    } catch {
      // A message that does not decode names no order; its reason says why it was parked.
    }
    parked.push({
      seq: p.seq,
      consumer: p.consumer,
      subject: p.originalSubject,
      reason: p.reason,
      ...(orderId ? { orderId } : {}),
    });
  }
  return {
    orders,
    jobs,
    ledger: ledger.map((r) => ({
      kind: r.kind as string,
      userId: Number(r.user_id),
      amount: Number(r.amount),
      orderId: (r.order_id as string | null) ?? null,
      jobId: (r.job_id as string | null) ?? null,
      grantId: (r.grant_id as string | null) ?? null,
      balanceAfter: Number(r.balance_after),
      heldAfter: Number(r.held_after),
    })),
    accounts: accounts.map((r) => ({
      userId: Number(r.user_id),
      granted: Number(r.granted),
      captured: Number(r.captured),
      held: Number(r.held),
    })),
    holds: holds.map((r) => ({
      orderId: r.order_id as string,
      userId: Number(r.user_id),
      amount: Number(r.amount),
      perVideo: Number(r.per_video),
      captured: Number(r.captured),
      released: Number(r.released),
    })),
    rejections: rejections.map((r) => ({ orderId: r.order_id as string, userId: Number(r.user_id) })),
    deliveries: deliveries.map((r) => ({
      key: r.message_key as string,
      purpose: r.purpose as string,
      chatId: Number(r.chat_id),
      status: r.status as string,
      messageId: n(r.telegram_message_id),
    })),
    outbox: await readOutbox(sql),
    placed: await placedOrders(nc),
    parked,
    chats,
  };
}
