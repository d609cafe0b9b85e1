import type { Transformer } from 'grammy';
import type { Logger, TelegramBudget } from '@neurocards/platform';

/**
 * Bot API methods that put a message in a chat or change one: Telegram's flood limits
 * (~30/s per bot, ~1/s per chat) count every send and edit. answerCallbackQuery, getFile,
 * getUpdates and the like are not messages and pass untouched.
 */
const COUNTED = new Set([
  'sendMessage',
  'editMessageText',
  'editMessageReplyMarkup',
  'editMessageCaption',
  'editMessageMedia',
  'sendPhoto',
  'sendVideo',
  'sendDocument',
  'sendAnimation',
  'sendAudio',
  'sendVoice',
  'sendSticker',
  'sendMediaGroup',
  'sendLocation',
  'sendContact',
  'sendPoll',
  'sendDice',
  'sendInvoice',
  'copyMessage',
  'forwardMessage',
]);

/** The numeric chat a call writes to; null for an inline message or a `@channel` name (global budget only). */
function chatIdOf(payload: unknown): number | null {
  const id = (payload as { chat_id?: unknown } | undefined)?.chat_id;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
}

/**
 * An API transformer (https://grammy.dev/advanced/transformers) that spends the bot's
 * shared send budget (KV `telegram_budget`, design §6) on every counted call, as a reply:
 * it reserves the chat's and the global slot ahead of every waiting notification and waits
 * for them, never refused. Installed inside auto-retry, so each retry of a 429 takes a slot
 * again; a 429 also holds the chat back for the notifier. If the budget cannot be reached
 * (NATS down), the reply goes anyway: a seller's answer is worth a possible 429, which
 * auto-retry then waits out.
 */
export function sendBudgetTransformer(deps: { budget: TelegramBudget; log: Logger }): Transformer {
  const log = deps.log.child({ module: 'send-budget' });
  return async (prev, method, payload, signal) => {
    if (!COUNTED.has(method)) return prev(method, payload, signal);
    const chatId = chatIdOf(payload);
    try {
      await deps.budget.reserveReply(chatId);
    } catch (err) {
      log.warn({ err, method, chatId }, 'send budget unavailable; sending without it');
    }
    const res = await prev(method, payload, signal);
    const retryAfter = res.ok ? undefined : res.parameters?.retry_after;
    if (retryAfter !== undefined && chatId !== null) {
      await deps.budget
        .pauseChat(chatId, Date.now() + retryAfter * 1000)
        .catch((err: unknown) => log.warn({ err, chatId }, 'could not share a 429 pause'));
    }
    return res;
  };
}
