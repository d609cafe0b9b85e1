import type { Sql } from '@neurocards/platform';

/**
 * The delivery log: one row per message key, so no message is sent twice.
 *
 * Protocol, per message:
 *   1. `claim` commits a 'sending' row with a lease (its own short transaction, so a
 *      concurrent redelivery of the same event sees it and backs off);
 *   2. the message goes to Telegram;
 *   3. `markSent` flips the row to 'sent' with Telegram's message_id, in the caller's
 *      transaction (for a video, together with the outbox write of notify.video.sent);
 *      or `markUndeliverable` closes it for good, likewise in the caller's transaction
 *      (for a video, with notify.video.undeliverable, so the orchestrator refunds it).
 *
 * The remaining at-least-once window: if the process dies (or Postgres is unreachable)
 * after Telegram accepted the message and before step 3 commits, the row stays 'sending'
 * and, once its lease ends, a redelivery sends the message again. Telegram offers no
 * idempotency key for sendMessage/sendVideo, so this window cannot be closed on our side;
 * it is one request long, and a duplicate there is a repeated message, never a lost one.
 * The same holds for a send that times out after Telegram got it: the claim is released
 * and the retry may repeat the message.
 */
export type Claim =
  | { state: 'claimed'; attempts: number }
  | { state: 'done'; status: 'sent' | 'undeliverable'; messageId: number | null }
  /** Another worker holds the lease (a concurrent redelivery): retry after `retryInMs`. */
  | { state: 'busy'; retryInMs: number };

export interface ClaimRequest {
  key: string;
  eventId: string;
  purpose: string;
  chatId: number;
}

export interface DeliveryLog {
  claim(req: ClaimRequest): Promise<Claim>;
  /** Inside the caller's transaction: the message is in the chat. */
  markSent(tx: Sql, key: string, messageId: number, via?: 'url' | 'upload'): Promise<boolean>;
  /**
   * Inside the caller's transaction (for a video, together with the outbox write of
   * notify.video.undeliverable): Telegram will never take it; the key is closed so
   * redeliveries do nothing. False when the row was no longer ours to close.
   */
  markUndeliverable(tx: Sql, key: string, reason: string): Promise<boolean>;
  /** The attempt failed before Telegram took the message: the key can be claimed again at once. */
  release(key: string, reason: string): Promise<void>;
}

/**
 * Longer than one attempt can hold a claim: a rate-limit wait (TELEGRAM_MAX_WAIT), a
 * download and an upload of 50 MB (TELEGRAM_TIMEOUT each). A crash during an attempt
 * delays the retry by at most this.
 */
export const DEFAULT_LEASE_MS = 4 * 60_000;

export function createDeliveryLog(sql: Sql, leaseMs = DEFAULT_LEASE_MS): DeliveryLog {
  const lease = leaseMs / 1000;
  return {
    async claim({ key, eventId, purpose, chatId }) {
      const claimed = await sql<{ attempts: number }[]>`
        insert into deliveries (message_key, event_id, purpose, chat_id, status, claimed_until)
        values (${key}, ${eventId}, ${purpose}, ${chatId}, 'sending', now() + ${lease} * interval '1 second')
        on conflict (message_key) do update
          set claimed_until = excluded.claimed_until,
              attempts = deliveries.attempts + 1,
              event_id = excluded.event_id,
              updated_at = now()
          where deliveries.status = 'sending'
            and (deliveries.claimed_until is null or deliveries.claimed_until < now())
        returning attempts`;
      if (claimed[0]) return { state: 'claimed', attempts: claimed[0].attempts };
      const [row] = await sql<{ status: string; messageId: string | null; retryInMs: number | null }[]>`
        select status, telegram_message_id as "messageId",
               ceil(extract(epoch from (claimed_until - now())) * 1000)::int as "retryInMs"
        from deliveries where message_key = ${key}`;
      // Gone in between (released and deleted cannot happen; be safe): let the caller retry.
      if (!row) return { state: 'busy', retryInMs: 0 };
      if (row.status === 'sent' || row.status === 'undeliverable') {
        return { state: 'done', status: row.status, messageId: row.messageId === null ? null : Number(row.messageId) };
      }
      return { state: 'busy', retryInMs: Math.max(0, row.retryInMs ?? 0) };
    },

    async markSent(tx, key, messageId, via) {
      const rows = await tx`
        update deliveries
        set status = 'sent', telegram_message_id = ${messageId}, sent_via = ${via ?? null},
            claimed_until = null, last_error = null, updated_at = now()
        where message_key = ${key} and status = 'sending'
        returning 1`;
      return rows.length > 0;
    },

    async markUndeliverable(tx, key, reason) {
      const rows = await tx`
        update deliveries
        set status = 'undeliverable', claimed_until = null, last_error = ${reason.slice(0, 1000)}, updated_at = now()
        where message_key = ${key} and status = 'sending'
        returning 1`;
      return rows.length > 0;
    },

    async release(key, reason) {
      await sql`
        update deliveries
        set claimed_until = null, last_error = ${reason.slice(0, 1000)}, updated_at = now()
        where message_key = ${key} and status = 'sending'`;
    },
  };
}
