import { probeMp4 } from '../shared/mp4.js';
import type { Ctx, Method } from './context.js';
import { inputFile, photoSizes } from './files.js';
import { renderText } from './format.js';
import { inlineKeyboard } from './keyboard.js';
import { json, str } from './params.js';
import type { StoredFile } from './state.js';
import { badRequest } from './types.js';
import type { TgMessage } from './types.js';

const MAX_CAPTION = 1024;
const GET_FILE_LIMIT = 20 * 1024 * 1024; // Bot API: getFile downloads up to 20 MB

function sendMedia(field: 'photo' | 'video' | 'document', build: (file: StoredFile, ctx: Ctx) => Partial<TgMessage>): Method {
  return async (ctx) => {
    const { state, params } = ctx;
    const chat = state.botChat(params.values.chat_id);
    const parseMode = str(params, 'parse_mode');
    const rawCaption = str(params, 'caption');
    const caption = rawCaption === undefined ? undefined : renderText(rawCaption, parseMode);
    if (caption !== undefined && caption.length > MAX_CAPTION) throw badRequest('message caption is too long');
    const markup = inlineKeyboard(json(params, 'reply_markup'));
    const file = await inputFile(state, params, field, field);
    const entry = state.addMessage(
      chat,
      'bot',
      (message_id, date) => ({
        message_id, from: state.botUser, chat: chat.chat, date,
        ...build(file, ctx),
        ...(caption ? { caption } : {}),
        ...(markup ? { reply_markup: markup } : {}),
      }),
      { ...(parseMode !== undefined ? { parseMode } : {}), ...(file.sourceUrl !== undefined ? { sourceUrl: file.sourceUrl } : {}) },
    );
    return { result: entry.msg };
  };
}

export const sendPhoto = sendMedia('photo', (file, { state }) => ({ photo: photoSizes(state, file) }));

export const sendVideo = sendMedia('video', (file, { params }) => {
  const probe = probeMp4(file.bytes);
  const num = (name: string): number | undefined => (params.values[name] === undefined ? undefined : Number(params.values[name]));
  return {
    video: {
      file_id: file.fileId,
      file_unique_id: file.fileUniqueId,
      width: num('width') ?? probe?.width ?? 0,
      height: num('height') ?? probe?.height ?? 0,
      duration: num('duration') ?? probe?.duration ?? 0,
      ...(file.fileName ? { file_name: file.fileName } : {}),
      mime_type: file.mimeType,
      file_size: file.bytes.length,
    },
  };
});

export const sendDocument = sendMedia('document', (file) => ({
  document: {
    file_id: file.fileId,
    file_unique_id: file.fileUniqueId,
    ...(file.fileName ? { file_name: file.fileName } : {}),
    mime_type: file.mimeType,
    file_size: file.bytes.length,
  },
}));

export const getFile: Method = ({ state, params }) => {
  const id = str(params, 'file_id');
  const file = id === undefined ? undefined : state.files.get(id);
  if (file === undefined) throw badRequest('invalid file_id');
  if (file.bytes.length > GET_FILE_LIMIT) throw badRequest('file is too big');
  return { result: { file_id: file.fileId, file_unique_id: file.fileUniqueId, file_size: file.bytes.length, file_path: file.filePath } };
};
