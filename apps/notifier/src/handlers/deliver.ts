import { randomUUID } from 'node:crypto';
import { isWaitable, PermanentError, TransientError, transaction, type Logger, type Sql } from '@neurocards/platform';
import type { DeliveryLog } from '../adapters/delivery-log';
import { RateLimitedError, type SendScheduler } from '../adapters/scheduler';
import { SendFailedError, type TelegramSender } from '../adapters/telegram';
import type { Outbound } from '../domain/messages';
import { videoUndeliverableReason } from '../domain/telegram-errors';

export type DeliveryOutcome = 'sent' | 'already-done' | 'undeliverable';

/** Runs in the transaction that records the message as sent (e.g. an outbox write). */
export type OnSent = (tx: Sql, sent: { messageId: number; via: 'url' | 'upload' | 'text'; fileId?: string }) => Promise<void>;
/** Runs in the transaction that records the message as undeliverable (e.g. an outbox write). */
export type OnUndeliverable = (tx: Sql, reason: string) => Promise<void>;

export interface DeliverRequest {
  eventId: string;
  /** Who and what, known before the message is built. */
  key: string;
  purpose: Outbound['purpose'];
  chatId: number;
  /** The order of a video or failure message: the summary waits until they are done. */
  orderId?: string | undefined;
  /** Builds the message once the key is claimed (the summary asks billing for the balance). */
  build: () => Promise<Outbound> | Outbound;
  onSent?: OnSent;
  onUndeliverable?: OnUndeliverable;
  log: Logger;
}

export type Deliver = (req: DeliverRequest) => Promise<DeliveryOutcome>;

export interface DelivererDeps {
  sql: Sql;
  deliveryLog: DeliveryLog;
  sender: TelegramSender;
  scheduler: SendScheduler;
  /** Longest pause between attempts to record a send (PostgreSQL unreachable). */
  recordRetryMaxMs?: number;
}

/** Shorthand for a message that is fully known up front. */
export const request = (
  eventId: string,
  msg: Outbound,
  log: Logger,
  hooks: { onSent?: OnSent; onUndeliverable?: OnUndeliverable; orderId?: string } = {},
): DeliverRequest => ({
  eventId,
  key: msg.key,
  purpose: msg.purpose,
  chatId: msg.chatId,
  build: () => msg,
  log,
  ...hooks,
});

/**
 * Claim → send (rate-limited) → record, for one message. The retry decision is made
 * here from the sender's verdict:
 * - rate limited beyond the in-process wait → TransientError(retryAfterMs): JetStream
 *   redelivers after retry_after and the message is not held meanwhile;
 * - undeliverable (403, chat not found, expired video URL, over 50 MB) → recorded with
 *   `onUndeliverable` in one transaction, acked, never retried;
 * - transient (5xx, network) → the claim is released and the consumer backs off;
 * - rejected (Telegram refused our request) → PermanentError: parked in DEAD for a person;
 *   except for a video, which is undeliverable then (domain/telegram-errors
 *   `videoUndeliverableReason`): a parked video would hold the seller's credit.
 * Around the send (docs/design.md §6, "Delivery log and crashed sends"): the claim is a short lease
 * renewed by a heartbeat while this attempt runs; once Telegram took the message, recording
 * it is retried until it commits. A row left 'sending' by a crashed attempt is taken over:
 * if that attempt never called Telegram the message is simply sent; if it did, a video is
 * sent again and a status message is marked sent without re-sending it.
 */
export function createDeliverer({ sql, deliveryLog, sender, scheduler, recordRetryMaxMs = 5000 }: DelivererDeps): Deliver {
  return async (req) => {
    const { key, purpose, chatId } = req;
    const log = req.log.child({ key, purpose, chatId });
    const holder = randomUUID();
    const claim = await deliveryLog.claim({ key, eventId: req.eventId, purpose, chatId, holder, orderId: req.orderId });
    if (claim.state === 'done') {
      log.info({ status: claim.status }, 'already handled; nothing to send');
      return 'already-done';
    }
    if (claim.state === 'busy') {
      // Come back when the lease ends (its holder crashed and stopped renewing it), so the
      // duplicate is acked soon after the other worker finishes.
      const delay = Math.min(deliveryLog.leaseMs, Math.max(1000, claim.retryInMs));
      throw new TransientError(`message ${key} is being sent by another worker`, delay);
    }

    if (claim.takeover && claim.sendStarted) {
      // The attempt before this one died while calling Telegram: Telegram may have the message.
      if (purpose !== 'video' && !req.onSent) {
        const reason = 'taken over from a crashed attempt; stale status message not re-sent';
        await transaction(sql, (tx) => deliveryLog.markAssumedSent(tx, key, reason));
        log.warn({ ageMs: claim.ageMs, attempts: claim.attempts }, reason);
        return 'already-done';
      }
      log.warn({ ageMs: claim.ageMs, attempts: claim.attempts }, 'taken over from a crashed attempt; sending again');
    }

    // Renews the claim while this attempt lives (a crash stops it, so the lease lapses soon).
    const heartbeat = setInterval(() => {
      deliveryLog.heartbeat(key, holder).catch((err: unknown) => log.debug({ err }, 'delivery heartbeat failed'));
    }, deliveryLog.leaseMs / 3);
    heartbeat.unref?.();
    try {
      return await attempt(req, log, holder);
    } finally {
      clearInterval(heartbeat);
    }
  };

  async function attempt(req: DeliverRequest, log: Logger, holder: string): Promise<DeliveryOutcome> {
    const { key, purpose, chatId } = req;
    let sent: { messageId: number; via: 'url' | 'upload' | 'text' };
    try {
      const msg = await req.build();
      sent = await scheduler.run(chatId, async () => {
        await deliveryLog.markSendStarted(key, holder);
        if (msg.kind === 'video') return sender.sendVideo(msg.chatId, msg.videoUrl, msg.caption, msg.buttons);
        const r = await sender.sendText(msg.chatId, msg.text, msg.buttons);
        return { ...r, via: 'text' as const };
      });
    } catch (err) {
      const gone = err instanceof SendFailedError ? undeliverableReason(err, purpose) : null;
      if (err instanceof SendFailedError && gone !== null) {
        const recorded = await transaction(sql, async (tx) => {
          const first = await deliveryLog.markUndeliverable(tx, key, gone);
          if (first) await req.onUndeliverable?.(tx, gone);
          return first;
        });
        // A video Telegram refused outright may be a bug of ours: loud, though it is not retried.
        const level = err.verdict.kind === 'rejected' ? 'error' : 'warn';
        log[level]({ reason: gone, recorded }, 'message undeliverable; recorded, not retried');
        return 'undeliverable';
      }
      await deliveryLog.release(key, err instanceof Error ? err.message : String(err));
      if (err instanceof RateLimitedError) {
        throw new TransientError(`rate limited by Telegram for ${err.retryAfterMs} ms`, err.retryAfterMs, { cause: err });
      }
      if (err instanceof SendFailedError) {
        const v = err.verdict;
        switch (v.kind) {
          case 'rate_limited':
            throw new TransientError(err.message, v.retryAfterMs, { cause: err });
          case 'transient':
          case 'url_refused':
            throw new TransientError(err.message, undefined, { cause: err });
          case 'rejected':
            throw new PermanentError(err.message, { cause: err });
          case 'undeliverable':
            // undeliverableReason() takes every such verdict, so it was recorded above; were
            // one to get here, retrying could not deliver it either.
            throw new PermanentError(err.message, { cause: err });
        }
      }
      throw err;
    }

    // Telegram has the message and its id is in hand: record it (with the follow-up event,
    // e.g. notify.video.sent, in the same transaction) until that commits. Giving up here
    // would leave the row 'sending' and the message would be sent again; only a crash may.
    const recorded = await recordUntilDone(log, sent.messageId, () =>
      transaction(sql, async (tx) => {
        const first = await deliveryLog.markSent(tx, key, sent.messageId, sent.via === 'text' ? undefined : sent.via);
        if (first) await req.onSent?.(tx, sent);
        return first;
      }),
    );
    if (!recorded) log.warn({ messageId: sent.messageId }, 'sent, but another worker had recorded this message already');
    else log.info({ messageId: sent.messageId, via: sent.via }, 'message sent');
    return 'sent';
  }

  async function recordUntilDone(log: Logger, messageId: number, record: () => Promise<boolean>): Promise<boolean> {
    let delay = 200;
    for (let n = 1; ; n++) {
      try {
        return await record();
      } catch (err) {
        // PostgreSQL down or restarting: wait for it. Anything else is a bug of ours, still
        // retried (loudly): the alternative is the message sent twice.
        const level = isWaitable(err) ? 'warn' : 'error';
        log[level]({ err, attempt: n, messageId, retryInMs: delay }, 'sent, but recording it failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(recordRetryMaxMs, delay * 2);
      }
    }
  }
}

/** Why the message can never be sent, or null if the failure is of another kind. */
function undeliverableReason(err: SendFailedError, purpose: Outbound['purpose']): string | null {
  if (purpose === 'video') return videoUndeliverableReason(err.verdict, err.failure);
  return err.verdict.kind === 'undeliverable' ? err.verdict.reason : null;
}
