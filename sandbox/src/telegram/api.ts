import type { FastifyInstance, FastifyReply } from 'fastify';
import { sleep } from '../shared/http.js';
import { TokenBucket } from '../shared/token-bucket.js';
import { deleteMyCommands, deleteWebhook, getMe, getMyCommands, getUpdates, getWebhookInfo, setMyCommands, setWebhook } from './bot-methods.js';
import type { Method } from './context.js';
import { getFile, sendDocument, sendPhoto, sendVideo } from './media.js';
import { answerCallbackQuery, editMessageReplyMarkup, editMessageText, sendChatAction, sendMessage } from './messaging.js';
import { readParams } from './params.js';
import { answerPreCheckoutQuery, createInvoiceLink, refundStarPayment, sendInvoice } from './payment-methods.js';
import type { TelegramState } from './state.js';
import { TgError } from './types.js';
import type { TelegramBehavior } from './types.js';
import type { UpdateQueue } from './updates.js';

const METHODS: Record<string, Method> = {
  getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, setMyCommands, getMyCommands, deleteMyCommands,
  sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery, sendChatAction,
  sendPhoto, sendVideo, sendDocument, getFile,
  sendInvoice, createInvoiceLink, answerPreCheckoutQuery, refundStarPayment,
};
// Method names are case-insensitive in the Bot API.
const BY_LOWER = new Map(Object.entries(METHODS).map(([k, v]) => [k.toLowerCase(), v]));
/** Calls that put something in a chat: the ones Telegram's flood control counts. */
const SENDING = new Set(['sendmessage', 'sendphoto', 'sendvideo', 'senddocument', 'sendinvoice', 'editmessagetext', 'editmessagereplymarkup']);

export interface ApiDeps {
  token: string;
  state: TelegramState;
  queue: UpdateQueue;
  behavior: () => TelegramBehavior;
  /** Every call as it arrived; `status` is the HTTP status it was answered with (set when answered). */
  calls: Array<{ method: string; params: Record<string, unknown>; at: number; status?: number }>;
}

function send(reply: FastifyReply, err: TgError): FastifyReply {
  return reply.code(err.code).send({
    ok: false,
    error_code: err.code,
    description: err.description,
    ...(err.retryAfter !== undefined ? { parameters: { retry_after: err.retryAfter } } : {}),
  });
}

class FloodControl {
  private readonly chats = new Map<string, TokenBucket>();
  /** chat → until when a 429 drawn at random refuses it (ms). */
  private readonly holds = new Map<string, number>();

  /** Refuses the chat for `seconds`, as Telegram does after the 429 it answered. */
  hold(chatId: string, seconds: number): void {
    this.holds.set(chatId, Date.now() + seconds * 1000);
  }

  /** A chat still held answers 429 with the seconds left, so a client that retries early is refused again. */
  checkHold(chatId: string): void {
    const left = (this.holds.get(chatId) ?? 0) - Date.now();
    if (left > 0) {
      const wait = Math.ceil(left / 1000);
      throw new TgError(429, `Too Many Requests: retry after ${wait}`, wait);
    }
  }

  private global: TokenBucket | undefined;
  private key = '';

  check(b: TelegramBehavior, chatId: string): void {
    const { perChatPerSecond, globalPerSecond, perChatBurst = 3 } = b.rateLimit;
    const key = `${perChatPerSecond}/${globalPerSecond}/${perChatBurst}`;
    if (key !== this.key) {
      this.key = key;
      this.chats.clear();
      this.global = new TokenBucket(globalPerSecond, globalPerSecond);
    }
    let chat = this.chats.get(chatId);
    if (chat === undefined) this.chats.set(chatId, (chat = new TokenBucket(perChatPerSecond, perChatBurst)));
    // Both limits are checked before either token is taken: a message refused for the
    // global limit was not sent, so it costs its chat nothing.
    const now = Date.now();
    const wait = Math.max(chat.waitMs(now), this.global?.waitMs(now) ?? 0);
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      throw new TgError(429, `Too Many Requests: retry after ${seconds}`, seconds);
    }
    chat.take(now);
    this.global?.take(now);
  }
}

const chance = (p: number | undefined): boolean => p !== undefined && p > 0 && Math.random() < p;

export function registerBotApi(app: FastifyInstance, deps: ApiDeps): void {
  const flood = new FloodControl();
  app.route({
    method: ['GET', 'POST'],
    url: '/bot:token/:method',
    handler: async (req, reply) => {
      const { token, method } = req.params as { token: string; method: string };
      if (token !== deps.token) return send(reply, new TgError(401, 'Unauthorized'));
      const handler = BY_LOWER.get(method.toLowerCase());
      if (handler === undefined) return send(reply, new TgError(404, 'Not Found'));
      const b = deps.behavior();
      let call: ApiDeps['calls'][number] | undefined;
      reply.raw.once('finish', () => {
        if (call) call.status = reply.statusCode;
      });
      try {
        const params = await readParams(req);
        call = { method, params: params.values, at: Date.now() };
        deps.calls.push(call);
        await sleep(b.latencyMs);
        if (SENDING.has(method.toLowerCase())) {
          if (b.throttleNext > 0) {
            b.throttleNext--;
            throw new TgError(429, `Too Many Requests: retry after ${b.retryAfterSeconds}`, b.retryAfterSeconds);
          }
          // A 429 drawn at random is flood control as Telegram applies it: the chat stays refused
          // until its retry_after has passed.
          const chatKey = String(params.values.chat_id);
          flood.checkHold(chatKey);
          if (chance(b.throttleRate)) {
            flood.hold(chatKey, b.retryAfterSeconds);
            throw new TgError(429, `Too Many Requests: retry after ${b.retryAfterSeconds}`, b.retryAfterSeconds);
          }
          // A user who blocks the bot stays blocked (until unblocked from the control panel):
          // every later send to the chat answers 403 too.
          if (chance(b.blockedRate)) {
            const chat = deps.state.chats.get(Number(params.values.chat_id));
            if (chat !== undefined) chat.blocked = true;
            throw new TgError(403, 'Forbidden: bot was blocked by the user');
          }
          flood.check(b, chatKey);
          if (b.failNext > 0) {
            b.failNext--;
            throw new TgError(500, 'Internal Server Error');
          }
        }
        let hungUp = false;
        const listeners: Array<() => void> = [];
        reply.raw.on('close', () => {
          if (reply.raw.writableFinished) return;
          hungUp = true;
          for (const l of listeners) l();
        });
        const out = await handler({ state: deps.state, queue: deps.queue, params, behavior: b, gone: () => hungUp, onGone: (cb) => listeners.push(cb) });
        return reply.send({ ok: true, result: out.result, ...(out.description ? { description: out.description } : {}) });
      } catch (err) {
        if (err instanceof TgError) return send(reply, err);
        req.log.error({ err, method }, 'telegram sim method failed');
        return send(reply, new TgError(500, 'Internal Server Error'));
      }
    },
  });

  app.get('/file/bot:token/*', async (req, reply) => {
    const { token } = req.params as { token: string };
    const path = (req.params as Record<string, string>)['*'] ?? '';
    if (token !== deps.token) return send(reply, new TgError(401, 'Unauthorized'));
    const file = deps.state.filesByPath.get(path);
    if (file === undefined) return send(reply, new TgError(404, 'Not Found'));
    return reply.type(file.mimeType).send(Buffer.from(file.bytes));
  });
}
