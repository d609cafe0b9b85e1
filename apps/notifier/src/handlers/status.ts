import type { EventData, Locale, RpcRequest } from '@neurocards/contracts';
import type { Logger } from '@neurocards/platform';
import { RateLimitedError, type SendScheduler } from '../adapters/scheduler';
import type { StatusRow, StatusStore } from '../adapters/status-store';
import { SendFailedError, type TelegramSender } from '../adapters/telegram';
import * as m from '../domain/messages';
import {
  EDIT_INTERVAL_MS,
  keepWatching,
  progressOf,
  worthEditing,
  type Progress,
  type QueueEstimate,
} from '../domain/progress';
import { editGone } from '../domain/telegram-errors';
import type { Deliver } from './deliver';

/** `kie.queue.estimate`, or null when the dispatcher does not answer in time. */
export type EstimateLookup = (req: RpcRequest<'kie.queue.estimate'>) => Promise<QueueEstimate | null>;

/** Status messages older than this are left as they are (an order that old is long settled or stuck). */
export const WATCH_FOR_MS = 2 * 3_600_000;
/** One replica's hold on an order while it asks the estimate and edits (covers a paced edit). */
const EDIT_LEASE_MS = 30_000;
/** Orders one loop round looks at: each costs one estimate and maybe one edit. */
const ROUND = 20;

export interface StatusDeps {
  store: StatusStore;
  deliver: Deliver;
  sender: TelegramSender;
  scheduler: SendScheduler;
  estimate: EstimateLookup;
  log: Logger;
  clock?: () => number;
}

export interface StatusMessages {
  /** billing.credits.reserved: the order's one status message, with the queue line. */
  reserved(d: EventData<'billing.credits.reserved.v1'>, eventId: string, log: Logger): Promise<void>;
  /** jobs.generation.started: no new message; the status message is edited when that changes what it says. */
  started(d: EventData<'jobs.generation.started.v1'>, log: Logger): Promise<void>;
  /** One round of the progress loop; true when a full round was taken (more may be due). */
  tick(): Promise<boolean>;
}

/**
 * One status message per order (docs/design.md §6.1, "Honest waits"): sent once when the
 * credits are held, then edited in place — when generation starts, and while the expected
 * wait is over two minutes, as the queue moves (at most once a minute per order). Edits
 * take their slot from the shared Telegram budget like every send. Which replica edits is
 * decided in Postgres (a lease on the order's row), so replicas never edit one order at once.
 */
export function createStatusMessages(deps: StatusDeps): StatusMessages {
  const { store, deliver, sender, scheduler, estimate } = deps;
  const now = deps.clock ?? Date.now;
  const later = (ms: number) => new Date(now() + ms);

  /** Where the order stands. Before its videos reach the dispatcher, a new order's first video as if confirmed now. */
  async function progressFor(row: Pick<StatusRow, 'orderId' | 'seller' | 'started'>): Promise<Progress> {
    let e = await estimate({ seller: row.seller, orderId: row.orderId });
    if (e && e.waiting === 0 && !row.started) e = await estimate({ seller: row.seller });
    return progressOf(row.started, e);
  }

  const render = (row: StatusRow, progress: Progress) =>
    m.orderStatus({
      orderId: row.orderId,
      chatId: row.chatId,
      locale: row.locale as Locale,
      amount: row.amount ?? 0,
      balance: row.balance ?? 0,
      progress,
    });

  /** With the order's edit claim held: ask, edit if worth it, give the claim back. `log` names the order. */
  async function look(row: StatusRow, log: Logger): Promise<'edited' | 'unchanged' | 'stopped' | 'later'> {
    if (row.settled || row.amount === null) {
      // The first video arrived (or the order is over): the message has done its job. Not yet
      // reserved (started came first): the send will show the state.
      await store.finish(row.orderId, { edited: false, nextCheckAt: row.settled ? null : later(EDIT_INTERVAL_MS) });
      return 'stopped';
    }
    if (row.delivery !== 'sent' || row.messageId === null) {
      // Not sent yet: look again soon. Undeliverable, or assumed sent by a crashed attempt's
      // takeover (no id): there is nothing to edit, ever.
      const pending = row.delivery === 'pending';
      await store.finish(row.orderId, { edited: false, nextCheckAt: pending ? later(5_000) : null });
      return pending ? 'later' : 'stopped';
    }
    const next = await progressFor(row);
    const nextCheckAt = keepWatching(next) ? later(EDIT_INTERVAL_MS) : null;
    if (!worthEditing(row.shown, next)) {
      await store.finish(row.orderId, { edited: false, nextCheckAt });
      return 'unchanged';
    }
    const msg = render(row, next);
    try {
      const r = await scheduler.run(row.chatId, () => sender.editText(row.chatId, row.messageId!, msg.text, msg.buttons));
      await store.finish(row.orderId, { shown: next, edited: r === 'edited', nextCheckAt });
      log.info({ progress: next, result: r }, 'status message updated');
      return 'edited';
    } catch (err) {
      if (err instanceof SendFailedError && editGone(err.verdict, err.failure)) {
        await store.finish(row.orderId, { edited: false, nextCheckAt: null });
        log.info({ reason: err.message }, 'status message can no longer be edited; stopped watching');
        return 'stopped';
      }
      // Budget exhausted, a 429, a network failure: look again later; nothing is lost.
      const level = err instanceof RateLimitedError ? 'debug' : 'warn';
      log[level]({ err }, 'status message edit failed; trying again later');
      await store.finish(row.orderId, { edited: false, nextCheckAt: later(EDIT_INTERVAL_MS) });
      return 'later';
    }
  }

  return {
    async reserved(d, eventId, log) {
      const key = m.statusKey(d.orderId);
      await store.recordReserved({ orderId: d.orderId, messageKey: key, chatId: d.chatId, seller: d.userId, locale: d.locale, amount: d.amount, balance: d.balance });
      await deliver({
        eventId,
        key,
        purpose: 'order-taken',
        chatId: d.chatId,
        // Built once the key is claimed: a redelivery of a sent message asks nobody.
        build: async () => {
          const row = await store.get(d.orderId);
          const started = row?.started ?? false;
          const progress = await progressFor({ orderId: d.orderId, seller: d.userId, started });
          await store.setShown(d.orderId, progress, keepWatching(progress) ? later(EDIT_INTERVAL_MS) : null);
          return m.orderStatus({ orderId: d.orderId, chatId: d.chatId, locale: d.locale, amount: d.amount, balance: d.balance, progress });
        },
        log,
      });
    },

    async started(d, log) {
      await store.recordStarted({ orderId: d.orderId, messageKey: m.statusKey(d.orderId), chatId: d.chatId, seller: d.userId, locale: d.locale });
      // Edited now when no replica holds the order and its last edit is a minute old;
      // otherwise the order is due and the progress loop edits it as soon as it may.
      const row = await store.claimEdit(d.orderId, EDIT_LEASE_MS, EDIT_INTERVAL_MS);
      if (!row) return;
      try {
        await look(row, log);
      } catch (err) {
        await store.finish(d.orderId, { edited: false, nextCheckAt: later(0) }).catch(() => undefined);
        throw err;
      }
    },

    async tick() {
      const rows = await store.claimDue(ROUND, EDIT_LEASE_MS, EDIT_INTERVAL_MS, WATCH_FOR_MS);
      for (const row of rows) {
        try {
          await look(row, deps.log.child({ orderId: row.orderId }));
        } catch (err) {
          deps.log.warn({ err, orderId: row.orderId }, 'status message look failed; trying again later');
          await store.finish(row.orderId, { edited: false, nextCheckAt: later(EDIT_INTERVAL_MS) }).catch(() => undefined);
        }
      }
      return rows.length === ROUND;
    },
  };
}
