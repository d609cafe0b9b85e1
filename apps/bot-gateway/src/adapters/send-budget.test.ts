import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { createTelegramBudget, openKv, type KV } from '@neurocards/platform';
import { connectTestNats, silentLogger, uniqueName } from '@neurocards/platform/testing';
import { sendBudgetTransformer } from './send-budget';

let nc: NatsConnection;
let kv: KV;
const prefix = `${uniqueName('gw_budget')}.`;

beforeAll(async () => {
  nc = await connectTestNats();
  kv = await openKv(nc, 'telegram_budget', 1);
});
afterAll(async () => {
  for await (const k of await kv.keys(`${prefix}>`)) await kv.purge(k);
  await nc.close();
});

const budget = () =>
  createTelegramBudget({
    kv,
    global: { count: 30, periodMs: 1000 },
    chat: { count: 1, periodMs: 1000 },
    replyBurst: 3,
    prefix,
  });

/** The Bot API's answer, as grammY hands it to transformers (Telegram itself is the simulator's job elsewhere). */
type Answer =
  | { ok: true; result: unknown }
  | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };
const call = (
  transform: ReturnType<typeof sendBudgetTransformer>,
  method: string,
  payload: object,
  answer: Answer,
) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (transform as any)(async () => answer, method, payload, undefined) as Promise<Answer>;

describe('the send-budget transformer', () => {
  it('spends a chat slot on a send or an edit, none on answerCallbackQuery', async () => {
    const b = budget();
    const t = sendBudgetTransformer({ budget: b, log: silentLogger() });
    await call(t, 'answerCallbackQuery', { callback_query_id: 'q' }, { ok: true, result: true });
    // Nothing spent: a notification to chat 1 goes at once.
    await b.acquireNotification(1, 0);
    await call(t, 'editMessageText', { chat_id: 2, message_id: 5, text: 'x' }, { ok: true, result: true });
    // The reply took chat 2's slot: a notification there would have to wait about a second.
    await expect(b.acquireNotification(2, 200)).rejects.toMatchObject({ code: 'TELEGRAM_BUDGET_WAIT' });
  });

  it('a 429 holds the chat back for every sender, for retry_after', async () => {
    const b = budget();
    const t = sendBudgetTransformer({ budget: b, log: silentLogger() });
    const answer: Answer = {
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 3',
      parameters: { retry_after: 3 },
    };
    expect(await call(t, 'sendMessage', { chat_id: 3, text: 'x' }, answer)).toBe(answer);
    const err = await budget()
      .acquireNotification(3, 1500)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TELEGRAM_BUDGET_WAIT' });
    expect((err as { waitMs: number }).waitMs).toBeGreaterThan(1500);
  });

  it('sends anyway when the budget cannot be reached', async () => {
    const broken = {
      reserveReply: () => Promise.reject(new Error('NATS down')),
      acquireNotification: async () => {},
      pauseChat: async () => {},
    };
    const t = sendBudgetTransformer({ budget: broken, log: silentLogger() });
    expect(await call(t, 'sendMessage', { chat_id: 4, text: 'x' }, { ok: true, result: 1 })).toEqual({
      ok: true,
      result: 1,
    });
  });
});
