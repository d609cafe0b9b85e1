import { request } from 'undici';
import { TgError } from './types.js';
import type { TelegramBehavior, TgUpdate } from './types.js';

interface Item {
  update: TgUpdate;
  attempts: number;
  nextAttemptAt: number;
  inFlight: boolean;
}
export interface WebhookConfig {
  url: string;
  secretToken?: string;
  maxConnections: number;
  allowedUpdates?: string[];
  lastErrorDate?: number;
  lastErrorMessage?: string;
}
export interface Delivery {
  updateId: number;
  url: string;
  status: number | 'timeout' | 'error';
  secretHeader?: string;
}

const updateType = (u: TgUpdate): string => Object.keys(u).find((k) => k !== 'update_id') ?? 'unknown';

/**
 * allowed_updates (https://core.telegram.org/bots/api#getupdates, #setwebhook): "Specify an empty list
 * to receive all update types except chat_member, message_reaction, and message_reaction_count
 * (default). If not specified, the previous setting will be used." So pre_checkout_query comes by
 * default, and only a list that leaves it out stops it.
 */
const OPT_IN_ONLY = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
export function isAllowed(type: string, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined || allowed.length === 0) return !OPT_IN_ONLY.has(type);
  return allowed.includes(type);
}

/**
 * Updates waiting for the bot: served by getUpdates (kept until confirmed by `offset`) or pushed to
 * the webhook (kept until the webhook answers 2xx in time; re-sent otherwise, as Telegram does).
 */
export class UpdateQueue {
  private pending: Item[] = [];
  /** Re-delivered duplicates: returned once by the next getUpdates whatever its offset. */
  private duplicates: TgUpdate[] = [];
  private waiter: { wake: () => void; fail: (e: TgError) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly aborts = new Set<AbortController>();
  private closed = false;
  // Like Telegram, ids start at an arbitrary point, so a restarted sim never reuses old ids.
  private nextId = 100_000_001 + Math.floor(Math.random() * 800_000_000);
  readonly history = new Map<number, TgUpdate>();
  readonly deliveries: Delivery[] = [];
  webhook: WebhookConfig | undefined;
  allowedUpdates: string[] | undefined;

  constructor(private readonly behavior: () => TelegramBehavior) {}

  newUpdateId(): number {
    return this.nextId++;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  push(update: TgUpdate): void {
    this.history.set(update.update_id, update);
    // Telegram does not even store updates of types the bot did not ask for.
    if (!isAllowed(updateType(update), this.allowedUpdates)) return;
    this.pending.push({ update, attempts: 0, nextAttemptAt: 0, inFlight: false });
    this.kick();
  }

  redeliver(updateId: number): void {
    const update = this.history.get(updateId);
    if (update === undefined) throw new Error(`no update ${updateId}`);
    if (this.webhook) this.pending.push({ update, attempts: 0, nextAttemptAt: 0, inFlight: false });
    else this.duplicates.push(update);
    this.kick();
  }

  private kick(): void {
    if (this.webhook) this.pump();
    else this.waiter?.wake();
  }

  async getUpdates(p: { offset?: number; limit?: number; timeout?: number; allowedUpdates?: string[] }, gone: () => boolean, onGone: (cb: () => void) => void): Promise<TgUpdate[]> {
    if (this.webhook) {
      throw new TgError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    // Only one poller at a time: the older request is cut off, as Telegram does.
    this.waiter?.fail(new TgError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'));
    if (p.allowedUpdates !== undefined) this.allowedUpdates = p.allowedUpdates;
    const limit = Math.min(100, Math.max(1, p.limit ?? 100));
    const deadline = Date.now() + Math.max(0, p.timeout ?? 0) * 1000;
    for (;;) {
      if (p.offset !== undefined) this.confirm(p.offset);
      const out = [...this.duplicates, ...this.pending.map((i) => i.update)].slice(0, limit);
      this.duplicates.splice(0, Math.min(this.duplicates.length, out.length));
      const left = deadline - Date.now();
      if (out.length > 0 || left <= 0 || this.closed || gone()) return out;
      await new Promise<void>((resolve, reject) => {
        const me = {
          wake: (): void => {
            clearTimeout(timer);
            this.release(me);
            resolve();
          },
          fail: (e: TgError): void => {
            clearTimeout(timer);
            this.release(me);
            reject(e);
          },
        };
        const timer = setTimeout(me.wake, left);
        this.waiter = me;
        onGone(me.wake);
      });
    }
  }

  private release(w: unknown): void {
    if (this.waiter === w) this.waiter = undefined;
  }

  /** `offset` confirms every update below it; a negative offset keeps only the last -offset updates. */
  private confirm(offset: number): void {
    if (offset < 0) this.pending = this.pending.slice(offset);
    else this.pending = this.pending.filter((i) => i.update.update_id >= offset || i.inFlight);
  }

  setWebhook(cfg: WebhookConfig, dropPending: boolean): void {
    this.waiter?.fail(new TgError(409, 'Conflict: terminated by setWebhook request'));
    if (dropPending) this.pending = [];
    this.webhook = cfg;
    // One setting per bot, whichever call made it last; setWebhook without a list keeps it.
    if (cfg.allowedUpdates !== undefined) this.allowedUpdates = cfg.allowedUpdates;
    this.pump();
  }

  deleteWebhook(dropPending: boolean): boolean {
    const had = this.webhook !== undefined;
    this.webhook = undefined;
    if (dropPending) this.pending = [];
    for (const i of this.pending) i.attempts = 0;
    return had;
  }

  private pump(): void {
    const hook = this.webhook;
    if (!hook || this.closed) return;
    const now = Date.now();
    let inFlight = this.pending.filter((i) => i.inFlight).length;
    let soonest = Infinity;
    for (const item of this.pending) {
      if (item.inFlight) continue;
      if (item.nextAttemptAt > now) {
        soonest = Math.min(soonest, item.nextAttemptAt);
        continue;
      }
      if (inFlight >= hook.maxConnections) break;
      inFlight++;
      void this.deliver(hook, item);
    }
    if (soonest !== Infinity) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.pump(), soonest - now);
      this.timer.unref();
    }
  }

  private async deliver(hook: WebhookConfig, item: Item): Promise<void> {
    item.inFlight = true;
    item.attempts++;
    const ac = new AbortController();
    this.aborts.add(ac);
    const timeout = setTimeout(() => ac.abort(), this.behavior().webhookTimeoutMs);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (hook.secretToken) headers['x-telegram-bot-api-secret-token'] = hook.secretToken;
    let status: Delivery['status'];
    try {
      const res = await request(hook.url, { method: 'POST', headers, body: JSON.stringify(item.update), signal: ac.signal });
      await res.body.dump();
      status = res.statusCode;
    } catch {
      status = ac.signal.aborted ? 'timeout' : 'error';
    } finally {
      clearTimeout(timeout);
      this.aborts.delete(ac);
      item.inFlight = false;
    }
    this.deliveries.push({ updateId: item.update.update_id, url: hook.url, status, ...(hook.secretToken ? { secretHeader: hook.secretToken } : {}) });
    if (typeof status === 'number' && status >= 200 && status < 300) {
      this.pending = this.pending.filter((i) => i !== item);
    } else {
      hook.lastErrorDate = Math.floor(Date.now() / 1000);
      hook.lastErrorMessage =
        status === 'timeout' ? 'Read timeout expired' : status === 'error' ? 'Connection refused' : `Wrong response from the webhook: ${status}`;
      item.nextAttemptAt = Date.now() + this.behavior().webhookRetryMs;
    }
    this.pump();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.waiter?.wake();
    for (const ac of this.aborts) ac.abort();
  }
}
