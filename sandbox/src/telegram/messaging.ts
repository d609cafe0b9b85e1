import type { Method } from './context.js';
import { renderText } from './format.js';
import { inlineKeyboard } from './keyboard.js';
import { int, json, str } from './params.js';
import { badRequest } from './types.js';
import type { TgMessage } from './types.js';

const MAX_TEXT = 4096; // Bot API: text of a message, after entity parsing
const CHAT_ACTIONS = new Set(['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note']);

export const sendMessage: Method = ({ state, params }) => {
  const chat = state.botChat(params.values.chat_id);
  const raw = str(params, 'text') ?? '';
  if (raw.trim() === '') throw badRequest('message text is empty');
  const parseMode = str(params, 'parse_mode');
  const text = renderText(raw, parseMode);
  if (text.length > MAX_TEXT) throw badRequest('message is too long');
  const markup = inlineKeyboard(json(params, 'reply_markup'));
  const entry = state.addMessage(
    chat,
    'bot',
    (message_id, date) => ({
      message_id, from: state.botUser, chat: chat.chat, date, text,
      ...(markup ? { reply_markup: markup } : {}),
    }),
    parseMode !== undefined ? { parseMode } : {},
  );
  return { result: entry.msg };
};

function findEditable(ctx: Parameters<Method>[0]): { msg: TgMessage; touch: () => void } {
  const { state, params } = ctx;
  if (params.values.inline_message_id !== undefined) throw badRequest('inline messages are not simulated');
  const chat = state.botChat(params.values.chat_id);
  const id = int(params, 'message_id');
  const entry = id === undefined ? undefined : chat.byId.get(id);
  if (entry === undefined) throw badRequest('message to edit not found');
  if (entry.from !== 'bot') throw badRequest("message can't be edited");
  return {
    msg: entry.msg,
    touch: () => {
      entry.edited = true;
      entry.msg.edit_date = Math.floor(Date.now() / 1000);
      state.changed(chat.chat.id);
    },
  };
}

const NOT_MODIFIED = 'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

export const editMessageText: Method = (ctx) => {
  const { msg, touch } = findEditable(ctx);
  if (msg.text === undefined) throw badRequest('there is no text in the message to edit');
  const raw = str(ctx.params, 'text') ?? '';
  if (raw.trim() === '') throw badRequest('message text is empty');
  const text = renderText(raw, str(ctx.params, 'parse_mode'));
  if (text.length > MAX_TEXT) throw badRequest('message is too long');
  const markup = inlineKeyboard(json(ctx.params, 'reply_markup'));
  if (text === msg.text && JSON.stringify(markup) === JSON.stringify(msg.reply_markup)) throw badRequest(NOT_MODIFIED);
  msg.text = text;
  if (markup) msg.reply_markup = markup;
  else delete msg.reply_markup;
  touch();
  return { result: msg };
};

export const editMessageReplyMarkup: Method = (ctx) => {
  const { msg, touch } = findEditable(ctx);
  const markup = inlineKeyboard(json(ctx.params, 'reply_markup'));
  if (JSON.stringify(markup) === JSON.stringify(msg.reply_markup)) throw badRequest(NOT_MODIFIED);
  if (markup) msg.reply_markup = markup;
  else delete msg.reply_markup;
  touch();
  return { result: msg };
};

export const answerCallbackQuery: Method = ({ state, params }) => {
  const id = str(params, 'callback_query_id');
  const query = id === undefined ? undefined : state.callbackQueries.get(id);
  if (id === undefined || query === undefined || query.answered) {
    throw badRequest('query is too old and response timeout expired or query ID is invalid');
  }
  const text = str(params, 'text');
  if (text !== undefined && text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
  query.answered = true;
  const answer: { callbackQueryId: string; text?: string; showAlert?: boolean } = { callbackQueryId: id };
  if (text !== undefined) answer.text = text;
  if (params.values.show_alert !== undefined) answer.showAlert = String(params.values.show_alert) === 'true';
  state.answers.push(answer);
  state.changed(query.chatId);
  return { result: true };
};

export const sendChatAction: Method = ({ state, params }) => {
  const chat = state.botChat(params.values.chat_id);
  const action = str(params, 'action') ?? '';
  if (!CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
  chat.lastAction = { action, at: Date.now() };
  state.changed(chat.chat.id);
  return { result: true };
};
