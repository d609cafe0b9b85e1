import type { KV } from '@nats-io/kv';
import type { Rate } from './config';
import { gcraOf, gcraPause, gcraRefund, gcraReserve, gcraTry, type Gcra } from './gcra';
import { kvMutate } from './kv';

/**
 * Telegram's send limits (~30 messages/s per bot, ~1/s per chat; every send and edit
 * counts), held for every process that talks through the bot token together: bot-gateway's
 * replies and every notifier replica (docs/design.md §6, "Telegram budget").
 *
 * Each limit is a GCRA bucket (gcra.ts) kept in one entry of the KV bucket
 * `telegram_budget` — `global`, and `chat.<id>` per chat — and changed only by
 * compare-and-set, so two processes can never both take the last slot. Entries expire with
 * the bucket's TTL; a `tat` in the past means a full bucket, so an expired entry loses
 * nothing.
 *
 * The global bucket paces at `global` with a small burst (`replyBurst`), so any one-second
 * window holds at most rate + burst messages: 27/1s with a burst of 3 never passes
 * Telegram's 30 in a second. A chat's bucket has the burst of its rate (1/1s: none).
 *
 * Replies go first. A reply *reserves* its slots: it is never refused, takes the next slot
 * whenever it is and waits for it; every later sender sees the slot gone. A notification
 * only *tries*: in its chat it goes only when the chat is free (a reply reserved in the
 * meantime wins), and globally only when the whole burst is free, one every interval. So a
 * notification flood always leaves the burst to replies — a seller who presses a button is
 * answered at once — and notifications wait while replies use it.
 */
export interface TelegramBudget {
  /** A conversation reply: waits for its chat's next slot, then the next global one. Never refused. */
  reserveReply(chatId: number | null): Promise<void>;
  /**
   * A notification: waits until its chat is free and a global slot is free beyond the
   * replies' share, and takes both. Throws BudgetWaitTooLong when it would wait longer than
   * `maxWaitMs` in all (the caller gives the message back to its queue instead of holding it).
   */
  acquireNotification(chatId: number, maxWaitMs: number): Promise<void>;
  /** Telegram answered 429 for this chat: nothing more goes to it before `untilMs`, from any process. */
  pauseChat(chatId: number, untilMs: number): Promise<void>;
}

/** A notification would wait longer than its caller may hold it. */
export class BudgetWaitTooLong extends Error {
  readonly code = 'TELEGRAM_BUDGET_WAIT';
  constructor(readonly waitMs: number) {
    super(`Telegram send budget: next slot in ${waitMs} ms`);
    this.name = 'BudgetWaitTooLong';
  }
}

export interface TelegramBudgetOptions {
  /** The `telegram_budget` KV bucket. */
  kv: KV;
  /** Messages per period for the whole bot (TELEGRAM_GLOBAL_RATE). */
  global: Rate;
  /** Messages per period in one chat (TELEGRAM_CHAT_RATE). */
  chat: Rate;
  /** Messages replies may send at once beyond the pacing; notifications never use it (TELEGRAM_REPLY_BURST). */
  replyBurst: number;
  /** Prefix of the keys (tests share a bucket). */
  prefix?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Entry {
  tat: number;
}

const empty = (): Entry => ({ tat: 0 });
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createTelegramBudget(o: TelegramBudgetOptions): TelegramBudget {
  const { kv } = o;
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? realSleep;
  const prefix = o.prefix ?? '';
  const globalG = gcraOf(o.global, o.replyBurst);
  const chatG = gcraOf(o.chat);
  // A notification may take a global slot only when the bucket is full.
  const reserveMs = globalG.toleranceMs;
  const globalKey = `${prefix}global`;
  // Group chats have negative ids; `-` is allowed in KV keys.
  const chatKey = (chatId: number) => `${prefix}chat.${chatId}`;

  const readTat = async (key: string) => {
    const e = await kv.get(key);
    return e && e.operation === 'PUT' ? (e.json<Partial<Entry>>().tat ?? 0) : 0;
  };
  const reserve = (key: string, g: Gcra) =>
    kvMutate<Entry, number>(kv, key, {
      empty,
      change: (s) => {
        const r = gcraReserve(g, s.tat, now());
        return { next: { tat: r.tat }, result: r.at };
      },
    });
  const tryTake = (key: string, g: Gcra, reserved = 0) =>
    kvMutate<Entry, number>(kv, key, {
      empty,
      change: (s) => {
        const r = gcraTry(g, s.tat, now(), reserved);
        return r.ok ? { next: { tat: r.tat }, result: 0 } : { next: null, result: r.waitMs };
      },
    });
  const refund = (key: string, g: Gcra) =>
    kvMutate<Entry, void>(kv, key, {
      empty,
      change: (s) => ({ next: { tat: gcraRefund(g, s.tat) }, result: undefined }),
    });

  // Notifications of this process queue for the global slot one at a time, in order: the
  // head polls the shared entry, the rest wait their turn instead of all racing on one key.
  let globalTail: Promise<unknown> = Promise.resolve();
  const inGlobalQueue = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = globalTail.then(fn);
    globalTail = run.catch(() => undefined);
    return run;
  };

  return {
    async reserveReply(chatId) {
      if (chatId !== null) {
        const at = await reserve(chatKey(chatId), chatG);
        if (at > now()) await sleep(at - now());
      }
      const at = await reserve(globalKey, globalG);
      if (at > now()) await sleep(at - now());
    },

    async acquireNotification(chatId, maxWaitMs) {
      const deadline = now() + maxWaitMs;
      const wait = async (ms: number) => {
        if (now() + ms > deadline) throw new BudgetWaitTooLong(ms);
        await sleep(ms);
      };
      for (;;) {
        // The chat first, only looking: a busy chat waits without holding a global slot.
        const peek = gcraTry(chatG, await readTat(chatKey(chatId)), now());
        const w = peek.ok ? 0 : peek.waitMs;
        if (w > 0) {
          await wait(w);
          continue;
        }
        const got = await inGlobalQueue(async () => {
          for (;;) {
            const gw = await tryTake(globalKey, globalG, reserveMs);
            if (gw === 0) break;
            await wait(gw);
          }
          // A reply may have reserved the chat while this waited: it goes first, and the
          // global slot goes back.
          if ((await tryTake(chatKey(chatId), chatG)) === 0) return true;
          await refund(globalKey, globalG);
          return false;
        });
        if (got) return;
      }
    },

    async pauseChat(chatId, untilMs) {
      await kvMutate<Entry, void>(kv, chatKey(chatId), {
        empty,
        change: (s) => ({ next: { tat: gcraPause(chatG, s.tat, untilMs) }, result: undefined }),
      });
    },
  };
}
