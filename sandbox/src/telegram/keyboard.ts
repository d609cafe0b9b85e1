import { badRequest } from './types.js';
import type { InlineKeyboardMarkup } from './types.js';

/**
 * Validates reply_markup like Telegram; keeps only inline keyboards (the others don't stick to a message).
 * Pay buttons (`pay: true`) are only accepted on invoices, and only as the first button of the first row
 * (https://core.telegram.org/bots/api#inlinekeyboardbutton).
 */
export function inlineKeyboard(markup: unknown, opts: { invoice?: boolean } = {}): InlineKeyboardMarkup | undefined {
  if (markup === undefined || markup === null) return undefined;
  if (typeof markup !== 'object') throw badRequest("can't parse reply keyboard markup JSON object");
  const rows = (markup as { inline_keyboard?: unknown }).inline_keyboard;
  if (rows === undefined) return undefined;
  if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) {
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  }
  const out: InlineKeyboardMarkup = { inline_keyboard: [] };
  for (const row of rows as unknown[][]) {
    const buttons = [];
    for (const b of row) {
      const btn = b as { text?: unknown; callback_data?: unknown; url?: unknown; pay?: unknown };
      if (typeof btn.text !== 'string' || btn.text === '') throw badRequest("can't parse inline keyboard button: Text must be non-empty");
      if (btn.pay === true) {
        const first = out.inline_keyboard.length === 0 && buttons.length === 0;
        if (!opts.invoice || !first) throw badRequest('BUTTON_TYPE_INVALID');
        buttons.push({ text: btn.text, pay: true });
      } else if (typeof btn.callback_data === 'string') {
        // Telegram: callback_data is 1-64 bytes.
        const size = Buffer.byteLength(btn.callback_data);
        if (size < 1 || size > 64) throw badRequest('BUTTON_DATA_INVALID');
        buttons.push({ text: btn.text, callback_data: btn.callback_data });
      } else if (typeof btn.url === 'string') {
        if (!/^(https?|tg):\/\//.test(btn.url)) throw badRequest('BUTTON_URL_INVALID');
        buttons.push({ text: btn.text, url: btn.url });
      } else {
        throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
      }
    }
    out.inline_keyboard.push(buttons);
  }
  // "If not empty, the first button must be a Pay button" (https://core.telegram.org/bots/api#sendinvoice).
  if (opts.invoice && out.inline_keyboard.length > 0 && out.inline_keyboard[0]?.[0]?.pay !== true) throw badRequest('BUTTON_TYPE_INVALID');
  return out;
}
