import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { openKv, type KV } from './nats';
import { BudgetWaitTooLong, createTelegramBudget, type TelegramBudget } from './telegram-budget';
import { connectTestNats, uniqueName } from './testing';

let nc: NatsConnection;
let kv: KV;
const prefixes: string[] = [];

beforeAll(async () => {
  nc = await connectTestNats();
  kv = await openKv(nc, 'telegram_budget', 1);
});

afterAll(async () => {
  for (const p of prefixes) for await (const k of await kv.keys(`${p}>`)) await kv.purge(k);
  await nc.close();
});

const GLOBAL = { count: 20, periodMs: 1000 };
const CHAT = { count: 1, periodMs: 1000 };

/** Two processes' worth of limiters on the same keys (each its own in-process queue). */
function replicas(n: number, replyBurst = 3): TelegramBudget[] {
  const prefix = `${uniqueName('budget')}.`;
  prefixes.push(prefix);
  return Array.from({ length: n }, () =>
    createTelegramBudget({ kv, global: GLOBAL, chat: CHAT, replyBurst, prefix }),
  );
}

/**
 * How many sends Telegram's model of the limit (a token bucket of `count`, refilled at
 * count per period, as the simulator keeps it) would refuse, at most, in any window: a
 * bucket that starts full refuses nothing iff every window [tᵢ, tⱼ] holds at most
 * count + (tⱼ − tᵢ) × rate sends. The times are read after each grant, a KV round trip
 * and an event-loop turn later, so `slackMs` forgives that jitter (Telegram sees the same
 * jitter, which is why the production rate keeps a margin under 30/s); two limiters that
 * did not coordinate would let a whole extra burst through, far beyond it.
 */
function refused(times: number[], rate: { count: number; periodMs: number }, slackMs = 25): number {
  const t = [...times].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0; i < t.length; i++) {
    for (let j = i; j < t.length; j++) {
      const allowed = rate.count + ((t[j]! - t[i]! + slackMs) * rate.count) / rate.periodMs;
      worst = Math.max(worst, Math.ceil(j - i + 1 - allowed));
    }
  }
  return worst;
}

describe('the shared Telegram budget (real NATS KV)', () => {
  it('two limiters contending keep the global and every chat within the limits together', async () => {
    const [a, b] = replicas(2);
    const chats = Array.from({ length: 40 }, (_, i) => 100 + i);
    const sent: { chat: number; at: number }[] = [];
    const started = Date.now();
    // 80 notifications, two for each of 40 chats, one through each limiter, all at once.
    await Promise.all(
      Array.from({ length: 80 }, async (_, i) => {
        const chat = chats[i % chats.length]!;
        await (i < chats.length ? a! : b!).acquireNotification(chat, 60_000);
        sent.push({ chat, at: Date.now() });
      }),
    );
    expect(sent).toHaveLength(80);
    expect(
      refused(
        sent.map((s) => s.at),
        GLOBAL,
      ),
    ).toBe(0);
    for (const chat of chats) {
      const times = sent.filter((s) => s.chat === chat).map((s) => s.at);
      expect(times).toHaveLength(2);
      expect(refused(times, CHAT)).toBe(0);
    }
    // Paced, not let through: 80 at 20/s take about four seconds.
    expect(Math.max(...sent.map((s) => s.at)) - started).toBeGreaterThanOrEqual(3800);
  }, 30_000);

  it('a reply in a chat goes before the notification already waiting there', async () => {
    const [notifier, gateway] = replicas(2);
    const order: string[] = [];
    await notifier!.acquireNotification(7, 10_000);
    const second = notifier!.acquireNotification(7, 10_000).then(() => order.push('notification'));
    await new Promise((r) => setTimeout(r, 100));
    const reply = gateway!.reserveReply(7).then(() => order.push('reply'));
    await Promise.all([second, reply]);
    expect(order).toEqual(['reply', 'notification']);
  });

  it('a reply is not queued behind a flood of notifications: they leave it the burst', async () => {
    const [notifier, gateway] = replicas(2);
    const grants: { kind: string; at: number }[] = [];
    const flood = Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        notifier!
          .acquireNotification(1000 + i, 60_000)
          .then(() => grants.push({ kind: 'notification', at: Date.now() })),
      ),
    );
    await new Promise((r) => setTimeout(r, 700));
    const asked = grants.length;
    await gateway!.reserveReply(5000);
    const before = grants.length;
    grants.push({ kind: 'reply', at: Date.now() });
    await flood;
    // The flood was still going when the reply asked, and at most the one notification whose
    // slot was being taken at that instant got in before it.
    expect(asked).toBeLessThan(60);
    expect(before - asked).toBeLessThanOrEqual(1);
    expect(
      refused(
        grants.map((g) => g.at),
        GLOBAL,
      ),
    ).toBe(0);
  }, 30_000);

  it('replies wait for their turn instead of being refused, and count against the notifications', async () => {
    const [gateway, notifier] = replicas(2);
    const times: number[] = [];
    // 30 replies at once in 30 chats: 3 go in the burst, the rest paced, none refused.
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => gateway!.reserveReply(200 + i).then(() => times.push(Date.now()))),
    );
    await notifier!.acquireNotification(300, 10_000);
    times.push(Date.now());
    expect(refused(times, GLOBAL)).toBe(0);
  }, 30_000);

  it('a 429 pauses the chat for every limiter; a wait beyond the bound is handed back', async () => {
    const [a, b] = replicas(2);
    await a!.pauseChat(42, Date.now() + 1500);
    const err = await b!.acquireNotification(42, 500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetWaitTooLong);
    expect((err as BudgetWaitTooLong).waitMs).toBeGreaterThan(500);
    const asked = Date.now();
    await b!.acquireNotification(42, 5000);
    expect(Date.now()).toBeGreaterThanOrEqual(asked + 900);
  });
});
