import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { PaymentLedger } from './payments.js';
import { TgError, badRequest } from './types.js';
import type { SimMessage, SimUser, TgChat, TgMessage, TgUser } from './types.js';

export type FileKind = 'photo' | 'video' | 'document' | 'sticker';
export interface StoredFile {
  fileId: string;
  fileUniqueId: string;
  kind: FileKind;
  bytes: Uint8Array;
  filePath: string;
  mimeType: string;
  fileName?: string;
  sourceUrl?: string;
}
export interface ChatEntry {
  from: 'user' | 'bot';
  msg: TgMessage;
  edited: boolean;
  parseMode?: string;
  sourceUrl?: string;
}
export interface ChatState {
  user: TgUser;
  chat: TgChat;
  entries: ChatEntry[];
  byId: Map<number, ChatEntry>;
  nextMessageId: number;
  blocked: boolean;
  lastAction?: { action: string; at: number };
}

const EXT: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'video/mp4': 'mp4',
  'application/pdf': 'pdf', 'image/gif': 'gif', 'video/quicktime': 'mov',
};
const FOLDER: Record<FileKind, string> = { photo: 'photos', video: 'videos', document: 'documents', sticker: 'stickers' };

/** Chats, messages and files of one simulated bot. */
export class TelegramState {
  readonly events = new EventEmitter();
  readonly chats = new Map<number, ChatState>();
  readonly files = new Map<string, StoredFile>();
  readonly filesByPath = new Map<string, StoredFile>();
  readonly callbackQueries = new Map<string, { answered: boolean; chatId: number }>();
  readonly answers: Array<{ callbackQueryId: string; text?: string; showAlert?: boolean }> = [];
  private fileSeq = 0;
  private querySeq = 0;
  readonly botUser: TgUser;
  readonly payments: PaymentLedger;

  constructor(botId: number, username: string, defaultStars?: number) {
    this.botUser = { id: botId, is_bot: true, first_name: 'Neurocards (sim)', username };
    this.payments = new PaymentLedger(defaultStars);
    this.events.setMaxListeners(0);
  }

  /** The private chat of a user, created on first contact (the bot can't write first). */
  chatOf(user: SimUser): ChatState {
    const chatId = user.chatId ?? user.userId;
    let chat = this.chats.get(chatId);
    if (chat === undefined) {
      const tgUser: TgUser = { id: user.userId, is_bot: false, first_name: user.firstName ?? `User ${user.userId}` };
      if (user.username !== undefined) tgUser.username = user.username;
      if (user.languageCode !== undefined) tgUser.language_code = user.languageCode;
      chat = {
        user: tgUser,
        chat: { id: chatId, type: 'private', first_name: tgUser.first_name, ...(user.username ? { username: user.username } : {}) },
        entries: [],
        byId: new Map(),
        nextMessageId: 1,
        blocked: false,
      };
      this.chats.set(chatId, chat);
    }
    return chat;
  }

  /** The chat a bot wants to write to: Telegram answers "chat not found" for chats that never wrote. */
  botChat(chatId: unknown): ChatState {
    const id = Number(chatId);
    if (chatId === undefined || chatId === '' || !Number.isFinite(id)) throw badRequest('chat_id is empty');
    const chat = this.chats.get(id);
    if (chat === undefined) throw badRequest('chat not found');
    if (chat.blocked) throw new TgError(403, 'Forbidden: bot was blocked by the user');
    return chat;
  }

  addMessage(chat: ChatState, from: 'user' | 'bot', build: (messageId: number, date: number) => TgMessage, extra: Partial<ChatEntry> = {}): ChatEntry {
    const msg = build(chat.nextMessageId++, Math.floor(Date.now() / 1000));
    const entry: ChatEntry = { from, msg, edited: false, ...extra };
    chat.entries.push(entry);
    chat.byId.set(msg.message_id, entry);
    this.changed(chat.chat.id);
    return entry;
  }

  changed(chatId: number): void {
    this.events.emit('change', chatId);
  }

  storeFile(kind: FileKind, bytes: Uint8Array, mimeType: string, fileName?: string, sourceUrl?: string): StoredFile {
    const n = ++this.fileSeq;
    const unique = randomBytes(6).toString('base64url');
    const file: StoredFile = {
      // Real file ids are long opaque strings; keeping the kind inside lets us refuse "photo as video".
      fileId: `${kind.slice(0, 2).toUpperCase()}ACAgIAAxkB${n.toString(36)}${randomBytes(18).toString('base64url')}`,
      fileUniqueId: `AQAD${unique}`,
      kind,
      bytes,
      filePath: `${FOLDER[kind]}/file_${n}.${EXT[mimeType] ?? 'bin'}`,
      mimeType,
      ...(fileName !== undefined ? { fileName } : {}),
      ...(sourceUrl !== undefined ? { sourceUrl } : {}),
    };
    this.files.set(file.fileId, file);
    this.filesByPath.set(file.filePath, file);
    return file;
  }

  newCallbackQueryId(chatId: number): string {
    // Telegram's ids are large decimal strings.
    const id = `${4_000_000_000_000_000 + ++this.querySeq * 7919}`;
    this.callbackQueries.set(id, { answered: false, chatId });
    return id;
  }

  botMessages(chatId: number): SimMessage[] {
    const chat = this.chats.get(chatId);
    if (chat === undefined) return [];
    return chat.entries.filter((e) => e.from === 'bot').map((e) => toSimMessage(e, this));
  }
}

export function toSimMessage(e: ChatEntry, state: TelegramState): SimMessage {
  const m = e.msg;
  const size = (fileId: string): number => state.files.get(fileId)?.bytes.length ?? 0;
  const src = e.sourceUrl !== undefined ? { sourceUrl: e.sourceUrl } : {};
  const sim: SimMessage = {
    messageId: m.message_id,
    chatId: m.chat.id,
    kind: m.video ? 'video' : m.photo ? 'photo' : m.document ? 'document' : m.invoice ? 'invoice' : 'text',
    edited: e.edited,
    date: m.date,
  };
  if (m.text !== undefined) sim.text = m.text;
  if (m.caption !== undefined) sim.caption = m.caption;
  if (e.parseMode !== undefined) sim.parseMode = e.parseMode;
  if (m.reply_markup !== undefined) sim.replyMarkup = m.reply_markup;
  if (m.invoice !== undefined) sim.invoice = m.invoice;
  if (m.refunded_payment !== undefined) sim.refundedPayment = m.refunded_payment;
  if (m.video) sim.video = { fileId: m.video.file_id, sizeBytes: size(m.video.file_id), ...src };
  const biggest = m.photo?.at(-1);
  if (biggest) sim.photo = { fileId: biggest.file_id, sizeBytes: size(biggest.file_id), ...src };
  if (m.document) {
    sim.document = { fileId: m.document.file_id, sizeBytes: size(m.document.file_id), ...src };
    if (m.document.file_name !== undefined) sim.document.fileName = m.document.file_name;
    if (m.document.mime_type !== undefined) sim.document.mimeType = m.document.mime_type;
  }
  return sim;
}
