import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { streams, type StreamName } from '@neurocards/contracts';
import type postgres from 'postgres';

type Sql = postgres.Sql;

/** One line of an order's story: when, where it comes from, what happened. */
export interface StoryLine {
  at: Date;
  /** `ORDERS#12` (stream and sequence), `billing.ledger`, `kie.tasks`, `orchestrator.jobs`, `notifier.deliveries`… */
  source: string;
  text: string;
}

export interface OrderStory {
  orderId: string;
  lines: StoryLine[];
  /** Sources that could not be read (a schema missing, no permission), with the reason. */
  gaps: string[];
}

/** Scalar fields of an event's data, `key=value`, long strings shortened (prompts, URLs). */
function summarize(data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (k === 'orderId' || v === null || v === undefined) continue;
    if (typeof v === 'object') {
      if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) parts.push(`${k}=[${v.join(',')}]`);
      continue; // photos, nested specs: in the stream for whoever needs them
    }
    const s = String(v);
    parts.push(`${k}=${s.length > 60 ? `${s.slice(0, 57)}…` : s}`);
  }
  return parts.join(' ');
}

function belongs(data: unknown, orderId: string): boolean {
  const e = data as { correlationId?: unknown; data?: { orderId?: unknown } } | null;
  return !!e && (e.correlationId === orderId || e.data?.orderId === orderId);
}

/**
 * Every message of every contract stream whose envelope carries `orderId` as its
 * correlationId (or in its data), DEAD included (a parked message says who parked it and why).
 * Reads each stream once with an ordered consumer, up to its last message at the start;
 * from `since` on when given (the order's placement known from the saga), else from the start.
 */
export async function orderEvents(nc: NatsConnection, orderId: string, since?: Date): Promise<StoryLine[]> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const out: StoryLine[] = [];
  for (const stream of Object.keys(streams) as StreamName[]) {
    const info = await jsm.streams.info(stream).catch(() => null);
    if (!info || info.state.messages === 0) continue;
    // Nothing stored since then: a start-time consumer would wait for a message forever.
    if (since && Date.parse(info.state.last_ts) < since.getTime()) continue;
    const last = info.state.last_seq;
    const consumer = await js.consumers.get(
      stream,
      since ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: since.toISOString() } : { deliver_policy: DeliverPolicy.All },
    );
    const messages = await consumer.consume({ max_messages: 500 });
    try {
      for await (const m of messages) {
        let body: unknown = null;
        try {
          body = m.json();
        } catch {
          // Not an envelope (a raw Telegram update stored by polling is one): not ours.
        }
        if (belongs(body, orderId)) {
          const e = body as { type?: string; occurredAt?: string; data?: unknown };
          const parked =
            stream === 'DEAD'
              ? ` PARKED by ${m.headers?.get('Neurocards-Dead-Consumer') ?? '?'}: ${m.headers?.get('Neurocards-Dead-Reason') ?? '?'}`
              : '';
          out.push({
            at: e.occurredAt ? new Date(e.occurredAt) : new Date(m.info.timestampNanos / 1e6),
            source: `${stream}#${m.seq}`,
            text: `${e.type ?? m.subject} ${summarize(e.data)}${parked}`.trim(),
          });
        }
        if (m.seq >= last || m.info.pending === 0) break;
      }
    } finally {
      messages.stop();
    }
  }
  return out;
}

type Row = Record<string, unknown>;
const when = (v: unknown) => (v instanceof Date ? v : v ? new Date(String(v)) : null);

/** The order's rows in each service's schema, one line per recorded moment. */
export async function orderRows(sql: Sql, orderId: string, gaps: string[]): Promise<StoryLine[]> {
  const out: StoryLine[] = [];
  const add = (at: unknown, source: string, text: string) => {
    const d = when(at);
    if (d) out.push({ at: d, source, text });
  };
  const read = async (source: string, q: () => Promise<Row[]>): Promise<Row[]> => {
    try {
      return await q();
    } catch (err) {
      gaps.push(`${source}: ${(err as Error).message}`);
      return [];
    }
  };

  for (const o of await read('orchestrator.orders', () => sql`select * from orchestrator.orders where order_id = ${orderId}`)) {
    const src = 'orchestrator.orders';
    add(o.placed_at, src, `order placed: user ${o.user_id}, ${o.count} video(s), template ${o.template}, model ${o.model ?? 'default'}`);
    add(o.reserved_at, src, `credits held (${o.credits_per_video ?? '?'} per video)`);
    add(o.rejected_at, src, `rejected: ${o.reject_reason ?? ''}`);
    add(o.generation_started_at, src, 'generation started');
    add(o.completed_at, src, `completed: ${o.delivered ?? 0} delivered, ${o.failed ?? 0} failed (status ${o.status})`);
  }
  const jobs = await read(
    'orchestrator.jobs',
    () => sql`select * from orchestrator.jobs where order_id = ${orderId} order by video_index`,
  );
  const jobIndex = new Map(jobs.map((j) => [String(j.job_id), Number(j.video_index)]));
  const job = (id: unknown) => `video #${jobIndex.get(String(id)) ?? '?'} (job ${String(id)})`;
  for (const j of jobs) {
    add(j.created_at, 'orchestrator.jobs', `${job(j.job_id)} created`);
    add(
      j.finished_at,
      'orchestrator.jobs',
      `${job(j.job_id)} ${j.state}${j.failure_reason ? `: ${j.failure_reason}` : ''}${j.message_id ? `, telegram message ${j.message_id}` : ''}`,
    );
  }

  for (const l of await read(
    'billing.ledger',
    () => sql`select * from billing.ledger where order_id = ${orderId} order by seq`,
  ))
    add(
      l.created_at,
      'billing.ledger',
      `ledger ${l.kind} ${l.amount} credit(s)${l.job_id ? ` for ${job(l.job_id)}` : ''} — balance ${l.balance_after}, held ${l.held_after} (line ${l.seq})`,
    );

  for (const t of await read('kie.tasks', () => sql`select * from kie.tasks where order_id = ${orderId}`)) {
    add(t.queued_at ?? t.created_at, 'kie.tasks', `${job(t.job_id)} queued for KIE (model ${t.model ?? 'default'})`);
    add(t.submitted_at, 'kie.tasks', `${job(t.job_id)} KIE task ${t.task_id ?? '(id unknown)'} on key ${t.key_name}, attempt ${t.attempt}`);
    if (t.state === 'succeeded' || t.state === 'failed')
      add(
        t.updated_at,
        'kie.tasks',
        `${job(t.job_id)} KIE task ${t.task_id ?? ''} ${t.state}${t.last_error_class ? ` (${t.last_error_class}: ${t.last_error ?? ''})` : ''}`,
      );
    else add(t.updated_at, 'kie.tasks', `${job(t.job_id)} KIE task now ${t.state}`);
  }
  for (const a of await read(
    'kie.attempts',
    () => sql`select a.* from kie.attempts a join kie.tasks t using (job_id) where t.order_id = ${orderId} order by a.created_at`,
  ))
    add(a.created_at, 'kie.attempts', `${job(a.job_id)} attempt ${a.attempt} on key ${a.key_name}${a.task_id ? `, KIE task ${a.task_id}` : ''}`);

  const keys = [`%${orderId}%`, ...[...jobIndex.keys()].map((id) => `%${id}%`)];
  for (const d of await read(
    'notifier.deliveries',
    () => sql`select * from notifier.deliveries
              where order_id = ${orderId} or message_key like any(${keys}) order by created_at`,
  )) {
    add(
      d.updated_at ?? d.created_at,
      'notifier.deliveries',
      `message ${d.purpose} to chat ${d.chat_id}: ${d.status}` +
        `${d.telegram_message_id ? `, telegram message ${d.telegram_message_id}` : ''}` +
        `${d.sent_via ? ` via ${d.sent_via}` : ''}, ${d.attempts} attempt(s) [${d.message_key}]` +
        `${d.last_error ? ` last error: ${d.last_error}` : ''}`,
    );
  }
  return out;
}

/** The whole story of an order: its events on every stream and its rows in every schema, in time order. */
export async function orderStory(deps: { nc: NatsConnection; sql: Sql }, orderId: string): Promise<OrderStory> {
  const gaps: string[] = [];
  const rows = await orderRows(deps.sql, orderId, gaps);
  // Nothing of an order is published before the seller confirmed it: read the streams from
  // a little before the placement (clocks differ), not a week of traffic.
  const placed = rows.find((l) => l.source === 'orchestrator.orders')?.at;
  const since = placed ? new Date(placed.getTime() - 10 * 60_000) : undefined;
  const lines = [...(await orderEvents(deps.nc, orderId, since)), ...rows];
  // Stable: equal instants keep events before rows, each in its own order.
  lines.sort((a, b) => a.at.getTime() - b.at.getTime());
  return { orderId, lines, gaps };
}

export function formatStory(story: OrderStory): string {
  const out = [`order ${story.orderId}: ${story.lines.length} entries`];
  if (story.lines.length === 0) out.push('  nothing found: no event carries this id and no service has a row for it');
  const width = Math.max(0, ...story.lines.map((l) => l.source.length));
  for (const l of story.lines) out.push(`${l.at.toISOString()}  ${l.source.padEnd(width)}  ${l.text}`);
  for (const g of story.gaps) out.push(`(not read: ${g})`);
  return out.join('\n');
}
