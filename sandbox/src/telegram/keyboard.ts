import { badRequest } from './types.js';
import type { InlineKeyboardMarkup } from './types.js';

/** Validates reply_markup like Telegram; keeps only inline keyboards (the others don't stick to a message). */
export function inlineKeyboard(markup: unknown): InlineKeyboardMarkup | undefined {
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
      const btn = b as { text?: unknown; callback_data?: unknown; url?: unknown };
      if (typeof btn.text !== 'string' || btn.text === '') throw badRequest("can't parse inline keyboard button: Text must be non-empty");
      if (typeof btn.callback_data === 'string') {
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
  return out;
}
