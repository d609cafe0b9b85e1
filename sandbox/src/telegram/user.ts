import { imageSize } from '../shared/image.js';
import { photoSizes } from './files.js';
import type { TelegramState } from './state.js';
import type { SimUser, TgEntity, TgMessage, TgUpdate } from './types.js';
import type { UpdateQueue } from './updates.js';

export interface UserMessage {
  text?: string;
  photo?: { bytes: Uint8Array };
  document?: { bytes: Uint8Array; fileName: string; mimeType: string };
  sticker?: true;
  /** Part of an album: Telegram sends each of its photos as its own update with this id. */
  mediaGroupId?: string;
}

/** bot_command entities for "/cmd" words at the start or after whitespace (offsets in UTF-16 units, as Telegram). */
export function commandEntities(text: string): TgEntity[] {
  const out: TgEntity[] = [];
  for (const m of text.matchAll(/(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?=$|\s)/g)) {
    out.push({ type: 'bot_command', offset: (m.index ?? 0) + (m[1]?.length ?? 0), length: m[2]?.length ?? 0 });
  }
  return out;
}

export function userSends(state: TelegramState, queue: UpdateQueue, user: SimUser, msg: UserMessage): { messageId: number; updateId: number } {
  const chat = state.chatOf(user);
  const body: Partial<TgMessage> = {};
  const text = msg.text;
  if (msg.photo) {
    body.photo = photoSizes(state, state.storeFile('photo', msg.photo.bytes, imageSize(msg.photo.bytes)?.mimeType ?? 'image/jpeg'));
  } else if (msg.document) {
    const f = state.storeFile('document', msg.document.bytes, msg.document.mimeType, msg.document.fileName);
    body.document = { file_id: f.fileId, file_unique_id: f.fileUniqueId, file_name: msg.document.fileName, mime_type: msg.document.mimeType, file_size: f.bytes.length };
  } else if (msg.sticker) {
    const f = state.storeFile('sticker', new Uint8Array([0x52, 0x49, 0x46, 0x46]), 'image/webp');
    body.sticker = { file_id: f.fileId, file_unique_id: f.fileUniqueId, type: 'regular', width: 512, height: 512, is_animated: false, is_video: false, emoji: '👍', file_size: 4 };
  } else if (text === undefined || text === '') {
    throw new Error('userSends needs text, photo, document or sticker');
  }
  const media = body.photo !== undefined || body.document !== undefined;
  if (msg.mediaGroupId !== undefined) {
    if (!media) throw new Error('only photos and documents belong to an album');
    body.media_group_id = msg.mediaGroupId;
  }
  if (text !== undefined && text !== '' && !body.sticker) {
    const entities = commandEntities(text);
    if (media) body.caption = text;
    else body.text = text;
    if (entities.length > 0 && !media) body.entities = entities;
  }
  const entry = state.addMessage(chat, 'user', (message_id, date) => ({ message_id, from: chat.user, chat: chat.chat, date, ...body }));
  const update: TgUpdate = { update_id: queue.newUpdateId(), message: structuredClone(entry.msg) };
  queue.push(update);
  return { messageId: entry.msg.message_id, updateId: update.update_id };
}

export function userPresses(state: TelegramState, queue: UpdateQueue, user: SimUser, messageId: number, data: string): { updateId: number; callbackQueryId: string } {
  const chat = state.chatOf(user);
  const entry = chat.byId.get(messageId);
  if (entry === undefined || entry.from !== 'bot') throw new Error(`no bot message ${messageId} in chat ${chat.chat.id}`);
  const onKeyboard = entry.msg.reply_markup?.inline_keyboard.some((row) => row.some((b) => b.callback_data === data));
  // A real client can only press buttons that are on the message right now.
  if (!onKeyboard) throw new Error(`message ${messageId} has no button with callback_data "${data}"`);
  const id = state.newCallbackQueryId(chat.chat.id);
  const update: TgUpdate = {
    update_id: queue.newUpdateId(),
    callback_query: {
      id,
      from: chat.user,
      message: structuredClone(entry.msg),
      chat_instance: String(-7_000_000_000_000 - chat.chat.id),
      data,
    },
  };
  queue.push(update);
  return { updateId: update.update_id, callbackQueryId: id };
}
