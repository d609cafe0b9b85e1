import type { Sql } from '@neurocards/platform';
import type { Progress } from '../domain/progress';

/** An order's status message as the progress loop and the handlers see it. */
export interface StatusRow {
  orderId: string;
  messageKey: string;
  chatId: number;
  seller: number;
  locale: 'ru' | 'en';
  amount: number | null;
  balance: number | null;
  started: boolean;
  shown: Progress | null;
  /** Telegram's id of the sent status message; null until it is recorded as sent (or when only assumed sent). */
  messageId: number | null;
  /**
   * Where its send stands: `pending` (not yet or being sent), `sent` (with an id to edit), or
   * `final` — undeliverable, or marked sent without an id after a crash: nothing can be edited.
   */
  delivery: 'pending' | 'sent' | 'final';
  /** The order's first video is in the chat, or the order is over (its summary is recorded): nothing to update. */
  settled: boolean;
}

export interface StatusStore {
  /** billing.credits.reserved: the figures of the message (idempotent). */
  recordReserved(r: { orderId: string; messageKey: string; chatId: number; seller: number; locale: string; amount: number; balance: number }): Promise<void>;
  /** jobs.generation.started: the order started; it is due for an edit now (idempotent). */
  recordStarted(r: { orderId: string; messageKey: string; chatId: number; seller: number; locale: string }): Promise<void>;
  get(orderId: string): Promise<StatusRow | null>;
  /** Just before the status message is sent: what it shows, and when the loop looks again (null: never). */
  setShown(orderId: string, shown: Progress, nextCheckAt: Date | null): Promise<void>;
  /**
   * Takes the right to edit the order's message now: no other replica holds it and the last
   * edit is at least `minIntervalMs` old. Null when it cannot be taken.
   */
  claimEdit(orderId: string, leaseMs: number, minIntervalMs: number): Promise<StatusRow | null>;
  /** Takes up to `limit` orders due for a look (watched, recent, not edited within `minIntervalMs`). */
  claimDue(limit: number, leaseMs: number, minIntervalMs: number, maxAgeMs: number): Promise<StatusRow[]>;
  /** Gives the claim back: the progress shown (when it was edited), and the next look (null: stop watching). */
  finish(orderId: string, r: { shown?: Progress; edited: boolean; nextCheckAt: Date | null }): Promise<void>;
}

const SELECT = (sql: Sql) => sql`
  s.order_id as "orderId", s.message_key as "messageKey", s.chat_id::float8 as "chatId", s.seller::float8 as seller,
  s.locale, s.amount, s.balance, s.started, s.shown,
  (select telegram_message_id::float8 from deliveries d where d.message_key = s.message_key and d.status = 'sent') as "messageId",
  coalesce((select case when d.status = 'sending' then 'pending'
                        when d.status = 'sent' and d.telegram_message_id is not null then 'sent' else 'final' end
            from deliveries d where d.message_key = s.message_key), 'pending') as delivery,
  exists (select 1 from deliveries d where d.order_id = s.order_id and d.purpose = 'video' and d.status = 'sent')
    or exists (select 1 from deliveries d where d.message_key = 'order:' || s.order_id || ':summary') as settled`;

export function createStatusStore(sql: Sql): StatusStore {
  return {
    async recordReserved(r) {
      await sql`
        insert into status_messages (order_id, message_key, chat_id, seller, locale, amount, balance)
        values (${r.orderId}, ${r.messageKey}, ${r.chatId}, ${r.seller}, ${r.locale}, ${r.amount}, ${r.balance})
        on conflict (order_id) do update set amount = excluded.amount, balance = excluded.balance
          where status_messages.amount is null`;
    },

    async recordStarted(r) {
      await sql`
        insert into status_messages (order_id, message_key, chat_id, seller, locale, started, next_check_at)
        values (${r.orderId}, ${r.messageKey}, ${r.chatId}, ${r.seller}, ${r.locale}, true, now())
        on conflict (order_id) do update set started = true, next_check_at = now()
          where not status_messages.started`;
    },

    async get(orderId) {
      const [row] = await sql<StatusRow[]>`select ${SELECT(sql)} from status_messages s where s.order_id = ${orderId}`;
      return row ?? null;
    },

    async setShown(orderId, shown, nextCheckAt) {
      // A jobs.generation.started handled after this (while the message is on its way) makes
      // the order due again, so the loop shows it.
      await sql`
        update status_messages set shown = ${sql.json(shown as never)}, next_check_at = ${nextCheckAt}
        where order_id = ${orderId}`;
    },

    async claimEdit(orderId, leaseMs, minIntervalMs) {
      const [row] = await sql<StatusRow[]>`
        with claimed as (
          update status_messages set edit_lease_until = now() + ${leaseMs / 1000} * interval '1 second'
          where order_id = ${orderId}
            and (edit_lease_until is null or edit_lease_until < now())
            and (last_edit_at is null or last_edit_at < now() - ${minIntervalMs / 1000} * interval '1 second')
          returning *)
        select ${SELECT(sql)} from claimed s`;
      return row ?? null;
    },

    async claimDue(limit, leaseMs, minIntervalMs, maxAgeMs) {
      // SKIP LOCKED and the lease: replicas take disjoint orders, and an order being edited
      // (by the started handler or another replica) is left alone.
      return sql<StatusRow[]>`
        with due as (
          select order_id from status_messages
          where next_check_at <= now()
            and created_at > now() - ${maxAgeMs / 1000} * interval '1 second'
            and (edit_lease_until is null or edit_lease_until < now())
            and (last_edit_at is null or last_edit_at < now() - ${minIntervalMs / 1000} * interval '1 second')
          order by next_check_at
          limit ${limit}
          for update skip locked),
        claimed as (
          update status_messages m set edit_lease_until = now() + ${leaseMs / 1000} * interval '1 second'
          from due where m.order_id = due.order_id
          returning m.*)
        select ${SELECT(sql)} from claimed s`;
    },

    async finish(orderId, r) {
      await sql`
        update status_messages
        set shown = coalesce(${r.shown ? sql.json(r.shown as never) : null}::jsonb, shown),
            last_edit_at = case when ${r.edited} then now() else last_edit_at end,
            next_check_at = ${r.nextCheckAt},
            edit_lease_until = null
        where order_id = ${orderId}`;
    },
  };
}
