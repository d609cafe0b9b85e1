import type { Sql } from '@neurocards/platform';

/**
 * The delivery log: one row per message key, so no message is sent twice.
 *
 * Protocol, per message (docs/design.md §6, "Delivery log and crashed sends"):
 *   1. `claim` commits a 'sending' row with a short lease held by this attempt (its own
 *      short transaction, so a concurrent redelivery of the same event sees it and backs
 *      off); the attempt renews the lease (`heartbeat`) for as long as it runs;
 *   2. the message goes to Telegram;
 *   3. `markSent` flips the row to 'sent' with Telegram's message_id, in the caller's
 *      transaction (for a video, together with the outbox write of notify.video.sent);
 *      the caller retries it until it commits, since the message id is in its hand;
 *      or `markUndeliverable` closes it for good, likewise in the caller's transaction
 *      (for a video, with notify.video.undeliverable, so the orchestrator refunds it).
 *
 * So a 'sending' row whose lease lapsed belongs to a process that died between 1 and 3
 * (or failed to release its claim). Its next claim is a takeover (`Claim.takeover`). If the
 * dead attempt never marked the send as started (`markSendStarted`, just before the call to
 * Telegram, after any pacing wait), Telegram does not have the message and it is simply
 * sent. Otherwise Telegram may or may not have it, and the deliverer resolves it: a video
 * is re-sent (a duplicate video is better than none), a status message is marked sent
 * without re-sending (`markAssumedSent`). Telegram offers no idempotency key
 * for sendMessage/sendVideo, so this window cannot be closed on our side.
 */
export type Claim =
  | {
      state: 'claimed';
      attempts: number;
      /** The row was left 'sending' by an attempt that is gone (lease lapsed, never released). */
      takeover: boolean;
      /** Since the message was first claimed. */
      ageMs: number;
      /**
       * Taken over from an attempt that had called Telegram (`markSendStarted`): Telegram
       * may have the message. False on a takeover means the crashed attempt never sent it.
       */
      sendStarted: boolean;
    }
  | { state: 'done'; status: 'sent' | 'undeliverable'; messageId: number | null }
  /** Another worker holds the lease (a concurrent redelivery): retry after `retryInMs`. */
  | { state: 'busy'; retryInMs: number };

export interface ClaimRequest {
  key: string;
  eventId: string;
  purpose: string;
  chatId: number;
  /** This attempt, so only it renews the lease. */
  holder: string;
  /** The order a video or failure message belongs to (the summary waits for them). */
  orderId?: string | undefined;
}

/** How many of an order's video and failure messages are recorded as done. */
export interface OrderMessages {
  videosSent: number;
  failuresDone: number;
}

export interface DeliveryLog {
  /** How long a claim lasts without a heartbeat. */
  readonly leaseMs: number;
  claim(req: ClaimRequest): Promise<Claim>;
  /**
   * Just before calling Telegram: this attempt is about to send. Throws when it cannot be
   * recorded, so no message leaves without the mark (a takeover relies on it).
   */
  markSendStarted(key: string, holder: string): Promise<void>;
  /** Renews the lease while `holder` still holds the row; false when it does not. */
  heartbeat(key: string, holder: string): Promise<boolean>;
  /** Inside the caller's transaction: the message is in the chat. */
  markSent(tx: Sql, key: string, messageId: number, via?: 'url' | 'upload'): Promise<boolean>;
  /** Inside the caller's transaction: a crashed attempt's stale status message counts as sent. */
  markAssumedSent(tx: Sql, key: string, reason: string): Promise<boolean>;
  /**
   * Inside the caller's transaction (for a video, together with the outbox write of
   * notify.video.undeliverable): Telegram will never take it; the key is closed so
   * redeliveries do nothing. False when the row was no longer ours to close.
   */
  markUndeliverable(tx: Sql, key: string, reason: string): Promise<boolean>;
  /** The attempt failed before Telegram took the message: the key can be claimed again at once. */
  release(key: string, reason: string): Promise<void>;
  /** The order's video messages sent and failure messages done (sent or undeliverable). */
  orderMessages(orderId: string): Promise<OrderMessages>;
}

/**
 * A live attempt renews its claim every third of this (the deliverer's heartbeat), so it
 * only has to outlast two missed heartbeats; a crashed attempt's message is taken over
 * this long after its last heartbeat, not minutes later.
 */
export const DEFAULT_LEASE_MS = 15_000;

export function createDeliveryLog(sql: Sql, leaseMs = DEFAULT_LEASE_MS): DeliveryLog {
  const lease = leaseMs / 1000;
  return {
    leaseMs,
    async claim({ key, eventId, purpose, chatId, holder, orderId }) {
      // `prev` sees the row as it was before this statement: a lapsed, unreleased lease there
      // is what a crashed attempt leaves.
      const claimed = await sql<{ attempts: number; takeover: boolean; ageMs: number; sendStarted: boolean }[]>`
        with prev as (select claimed_until, send_started_at from deliveries where message_key = ${key})
        insert into deliveries (message_key, event_id, purpose, chat_id, status, claimed_until, claimed_by, order_id)
        values (${key}, ${eventId}, ${purpose}, ${chatId}, 'sending', now() + ${lease} * interval '1 second', ${holder},
                ${orderId ?? null})
        on conflict (message_key) do update
          set claimed_until = excluded.claimed_until,
              claimed_by = excluded.claimed_by,
              attempts = deliveries.attempts + 1,
              event_id = excluded.event_id,
              send_started_at = null,
              updated_at = now()
          where deliveries.status = 'sending'
            and (deliveries.claimed_until is null or deliveries.claimed_until < now())
        returning attempts,
                  coalesce((select claimed_until is not null from prev), false) as takeover,
                  coalesce((select claimed_until is not null and send_started_at is not null from prev), false) as "sendStarted",
                  floor(extract(epoch from (now() - created_at)) * 1000)::float8 as "ageMs"`;
      if (claimed[0]) return { state: 'claimed', ...claimed[0] };
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

    async markSendStarted(key, holder) {
      const rows = await sql`
        update deliveries set send_started_at = now()
        where message_key = ${key} and status = 'sending' and claimed_by = ${holder}
        returning 1`;
      // Lost the claim (a lease lapsed under a stalled process): another attempt owns it now.
      if (rows.length === 0) throw new Error(`delivery ${key} is no longer held by this attempt`);
    },

    async heartbeat(key, holder) {
      const rows = await sql`
        update deliveries set claimed_until = now() + ${lease} * interval '1 second'
        where message_key = ${key} and status = 'sending' and claimed_by = ${holder} and claimed_until is not null
        returning 1`;
      return rows.length > 0;
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

    async markAssumedSent(tx, key, reason) {
      const rows = await tx`
        update deliveries
        set status = 'sent', sent_via = 'assumed', claimed_until = null, last_error = ${reason.slice(0, 1000)}, updated_at = now()
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

    async orderMessages(orderId) {
      const [row] = await sql<{ videosSent: number; failuresDone: number }[]>`
        select count(*) filter (where purpose = 'video' and status = 'sent')::int as "videosSent",
               count(*) filter (where purpose = 'video-failed' and status in ('sent', 'undeliverable'))::int as "failuresDone"
        from deliveries where order_id = ${orderId}`;
      return row ?? { videosSent: 0, failuresDone: 0 };
    },

    async release(key, reason) {
      await sql`
        update deliveries
        set claimed_until = null, send_started_at = null, last_error = ${reason.slice(0, 1000)}, updated_at = now()
        where message_key = ${key} and status = 'sending'`;
    },
  };
}
