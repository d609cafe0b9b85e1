import { setTimeout as sleep } from 'node:timers/promises';
import type { Api } from 'grammy';
import type { Update } from 'grammy/types';
import { createEvent } from '@neurocards/contracts';
import type { Logger, Publish } from '@neurocards/platform';
import { fingerprint } from './update-dedup';

/**
 * Long polling that loses no update across a crash (issue 7). Telegram forgets an update
 * once a getUpdates call carries a higher offset (https://core.telegram.org/bots/api#getupdates),
 * so each fetched update is first stored in the UPDATES stream — publish awaited until
 * JetStream acknowledges it — and only then does the offset move past it. The handlers read
 * the stream through a durable consumer (see gateway.ts), acking after handling: a process
 * killed at any point leaves each update either unconfirmed at Telegram (fetched again) or in
 * the stream (delivered again). @grammyjs/runner confirmed a batch as soon as it was fetched.
 *
 * The event id (the `Nats-Msg-Id`) is the bot, the update_id and a fingerprint of the update:
 * an update fetched twice (confirmed offset lost in the crash) is one stream message, while an
 * update_id reused with other content (another bot token, a restarted simulator) is not
 * mistaken for a repeat. Repeats older than the duplicate window meet the KV claim.
 */
export interface UpdatePoller {
  /** Stops fetching; an update fetched but not yet stored stays unconfirmed at Telegram. */
  stop(): Promise<void>;
}

export interface PollerOptions {
  api: Api;
  botId: number;
  publish: Publish;
  log: Logger;
  allowedUpdates: readonly string[];
  /** Long-poll timeout in seconds. */
  timeoutSeconds?: number;
  /**
   * Updates answered as they are fetched instead of through the stream: a `pre_checkout_query`
   * must be answered within 10 s, and in the stream it could wait behind slow updates. It needs
   * no state, and one lost in a crash only fails that payment attempt (no Stars move).
   */
  answerAtOnce?: (update: Update) => boolean;
}

export function updateEventId(botId: number, update: Update): string {
  return `update:${botId}:${update.update_id}:${fingerprint(update).slice(0, 16)}`;
}

export function startUpdatePoller(opts: PollerOptions): UpdatePoller {
  const { api, botId, publish } = opts;
  const log = opts.log.child({ module: 'poller' });
  const abort = new AbortController();
  let offset: number | undefined;

  const store = async (update: Update) => {
    const event = createEvent({
      subject: 'telegram.update.received.v1',
      id: updateEventId(botId, update),
      correlationId: `update:${update.update_id}`,
      data: { botId, update: update as unknown as Record<string, unknown> & { update_id: number } },
    });
    // Until it is stored, the offset stays: NATS down means polling pauses, nothing is lost.
    for (let attempt = 1; !abort.signal.aborted; attempt++) {
      try {
        await publish(event);
        return true;
      } catch (err) {
        log.warn({ err, updateId: update.update_id, attempt }, 'could not store the update; retrying');
        await sleep(Math.min(5000, 200 * 2 ** Math.min(attempt, 5)), undefined, { signal: abort.signal }).catch(
          () => undefined,
        );
      }
    }
    return false;
  };

  const loop = (async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      let updates: Update[];
      try {
        updates = await api.getUpdates(
          {
            ...(offset !== undefined ? { offset } : {}),
            timeout: opts.timeoutSeconds ?? 30,
            allowed_updates: [...opts.allowedUpdates] as never,
          },
          // grammY types its signal with the abort-controller shim; Node's is the same at runtime.
          abort.signal as Parameters<Api['getUpdates']>[1],
        );
        failures = 0;
      } catch {
        if (abort.signal.aborted) break;
        failures++;
        // Failed calls are logged by the API transformer; back off so an outage is not hammered.
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), undefined, { signal: abort.signal }).catch(
          () => undefined,
        );
        continue;
      }
      for (const u of updates) {
        if (!opts.answerAtOnce?.(u) && !(await store(u))) return;
        offset = u.update_id + 1;
      }
    }
  })();

  log.info('long polling started (updates stored in UPDATES before confirmation)');
  return {
    async stop() {
      abort.abort();
      await loop;
      // Confirm what was stored, so a restart does not fetch it again (harmless if it did).
      if (offset !== undefined)
        await api
          .getUpdates({ offset, timeout: 0, limit: 1, allowed_updates: [...opts.allowedUpdates] as never })
          .catch((err: unknown) => log.warn({ err }, 'could not confirm the stored updates'));
      log.info('long polling stopped');
    },
  };
}
