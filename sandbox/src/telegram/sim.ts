import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import { baseApp } from '../shared/app.js';
import { listen } from '../shared/http.js';
import { registerBotApi } from './api.js';
import { registerControlApi } from './control.js';
import { userPays } from './payments.js';
import type { Charge, PayOptions, PayOutcome, PayTarget, Refund, Refusal } from './payments.js';
import { MAX_UPLOAD_BYTES } from './params.js';
import { TelegramState, toSimMessage } from './state.js';
import type { SimMessage, SimUser, TelegramBehavior } from './types.js';
import { UpdateQueue } from './updates.js';
import type { Delivery } from './updates.js';
import { userPresses, userSends } from './user.js';
import type { UserMessage } from './user.js';

export interface TelegramSimOptions {
  port?: number;
  host?: string;
  /** The only token the sim accepts; its numeric prefix is the bot's user id. */
  token?: string;
  botUsername?: string;
  behavior?: Partial<TelegramBehavior>;
  /** Users who talked to the bot before the sim started, so the bot may write to them first (otherwise "chat not found"). */
  knownUsers?: SimUser[];
  /** Every user's Telegram Stars balance until set otherwise (default 100 000). */
  defaultStars?: number;
  /** Extra routes on the sim's server (the sandbox control panel), registered before it listens. */
  routes?: (app: FastifyInstance, sim: TelegramSimInternals) => void | Promise<void>;
}

/** What extra routes may read and steer: the live behaviour, the API calls so far, blocked users. */
export interface TelegramSimInternals {
  behavior: TelegramBehavior;
  apiCalls(): ReadonlyArray<{ method: string; at: number; status?: number }>;
  setBlocked(userId: number, blocked: boolean): void;
  blockedUsers(): number[];
}

export interface TelegramSim {
  apiRoot: string;
  token: string;
  webUrl: string;
  close(): Promise<void>;
  userSends(user: SimUser, msg: UserMessage): Promise<{ messageId: number; updateId: number }>;
  userPresses(user: SimUser, messageId: number, callbackData: string): Promise<{ updateId: number; callbackQueryId: string }>;
  redeliver(updateId: number): Promise<void>;
  botMessages(chatId: number): SimMessage[];
  waitForBotMessage(chatId: number, pred: (m: SimMessage) => boolean, timeoutMs?: number): Promise<SimMessage>;
  callbackAnswers(): Array<{ callbackQueryId: string; text?: string; showAlert?: boolean }>;
  setBehavior(b: Partial<TelegramBehavior>): void;
  // ---- extras ----
  /** Bytes of any file the sim holds (user photos, videos the bot sent). */
  fileBytes(fileId: string): Uint8Array | undefined;
  /** Every Bot API call received, in order (method, parameters, arrival time, and the HTTP status once answered). */
  apiCalls(): Array<{ method: string; params: Record<string, unknown>; at: number; status?: number }>;
  /** Webhook POST attempts and how they ended. */
  webhookDeliveries(): Delivery[];
  /** The user blocks (or unblocks) the bot: sends to the chat answer 403 "Forbidden: bot was blocked by the user". */
  setBlocked(user: SimUser, blocked: boolean): void;
  /** Makes a user's chat exist without sending an update (the user started the bot long ago). */
  addUser(user: SimUser): void;
  // ---- payments in Telegram Stars ----
  /**
   * The user pays an invoice message of their chat (`{ messageId }`, whatever its age) or an invoice
   * link (`{ link }`): the bot gets pre_checkout_query, and on ok=true within preCheckoutTimeoutMs a
   * successful_payment message (redelivered as asked). Resolves with the outcome; throws if the target
   * is not a payable invoice (unknown, or an invoice message already paid).
   */
  userPays(user: SimUser, target: PayTarget, opts?: PayOptions): Promise<PayOutcome>;
  starBalance(userId: number): number;
  setStarBalance(userId: number, stars: number): void;
  /** Paid charges (refunded ones carry refundedAt), failed payments as the users saw them, refunds. */
  payments(): { charges: Charge[]; refusals: Refusal[]; refunds: Refund[] };
}

export const DEFAULT_TELEGRAM_BEHAVIOR: TelegramBehavior = {
  latencyMs: 0,
  failNext: 0,
  rateLimit: { perChatPerSecond: 1, globalPerSecond: 30, perChatBurst: 3 },
  throttleNext: 0,
  retryAfterSeconds: 3,
  webhookTimeoutMs: 10_000,
  webhookRetryMs: 1_000,
  preCheckoutTimeoutMs: 10_000,
};

export async function startTelegramSim(opts: TelegramSimOptions = {}): Promise<TelegramSim> {
  const token = opts.token ?? '7000000001:AAH-sandbox-Neurocards-token-0123456789';
  const botId = Number(token.split(':')[0]) || 7000000001;
  const behavior: TelegramBehavior = { ...DEFAULT_TELEGRAM_BEHAVIOR, ...opts.behavior };
  const state = new TelegramState(botId, opts.botUsername ?? 'neurocards_sandbox_bot', opts.defaultStars);
  const queue = new UpdateQueue(() => behavior);
  const calls: Array<{ method: string; params: Record<string, unknown>; at: number; status?: number }> = [];
  for (const u of opts.knownUsers ?? []) state.chatOf(u);

  const app = baseApp({ name: 'telegram-sim' });
  await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES } });
  await app.register(fastifyStatic, { root: fileURLToPath(new URL('../../public', import.meta.url)), prefix: '/', index: 'index.html' });
  registerBotApi(app, { token, state, queue, behavior: () => behavior, calls });
  registerControlApi(app, { state, queue, behavior });
  await opts.routes?.(app, {
    behavior,
    apiCalls: () => calls,
    setBlocked: (userId, blocked) => void (state.chatOf({ userId }).blocked = blocked),
    blockedUsers: () => [...state.chats.values()].filter((c) => c.blocked).map((c) => c.chat.id),
  });
  const root = await listen(app, opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    apiRoot: root,
    token,
    webUrl: `${root}/`,
    close: async () => {
      queue.close();
      await app.close();
    },
    userSends: async (user, msg) => userSends(state, queue, user, msg),
    userPresses: async (user, messageId, data) => userPresses(state, queue, user, messageId, data),
    redeliver: async (updateId) => queue.redeliver(updateId),
    botMessages: (chatId) => state.botMessages(chatId),
    waitForBotMessage: (chatId, pred, timeoutMs = 10_000) =>
      new Promise<SimMessage>((resolve, reject) => {
        const check = (): boolean => {
          const hit = state.botMessages(chatId).find(pred);
          if (hit === undefined) return false;
          cleanup();
          resolve(hit);
          return true;
        };
        const onChange = (id: number): void => {
          if (id === chatId) check();
        };
        const timer = setTimeout(() => {
          cleanup();
          const seen = state.botMessages(chatId).map((m) => `#${m.messageId} ${m.kind}: ${m.text ?? m.caption ?? ''}`);
          reject(new Error(`no matching bot message in chat ${chatId} within ${timeoutMs} ms; bot sent:\n${seen.join('\n')}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          state.events.off('change', onChange);
        };
        state.events.on('change', onChange);
        check();
      }),
    callbackAnswers: () => [...state.answers],
    setBehavior: (b) => Object.assign(behavior, b),
    fileBytes: (fileId) => state.files.get(fileId)?.bytes,
    apiCalls: () => [...calls],
    webhookDeliveries: () => [...queue.deliveries],
    setBlocked: (user, blocked) => {
      state.chatOf(user).blocked = blocked;
    },
    addUser: (user) => {
      state.chatOf(user);
    },
    userPays: (user, target, payOpts) => userPays(state, queue, () => behavior, user, target, payOpts),
    starBalance: (userId) => state.payments.balance(userId),
    setStarBalance: (userId, stars) => state.payments.setBalance(userId, stars),
    payments: () => ({
      charges: [...state.payments.charges.values()].map((c) => ({ ...c, updateIds: [...c.updateIds] })),
      refusals: [...state.payments.refusals],
      refunds: [...state.payments.refunds],
    }),
  };
}

export { toSimMessage };
