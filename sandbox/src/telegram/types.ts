// Bot API object shapes (https://core.telegram.org/bots/api), as far as the simulator produces them.

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
  language_code?: string;
}
export interface TgChat {
  id: number;
  type: 'private';
  first_name?: string;
  username?: string;
}
export interface TgPhotoSize {
  file_id: string;
  file_unique_id: string;
  width: number;
  height: number;
  file_size?: number;
}
export interface TgDocument {
  file_id: string;
  file_unique_id: string;
  file_name?: string;
  mime_type?: string;
  file_size?: number;
}
export interface TgVideo extends TgDocument {
  width: number;
  height: number;
  duration: number;
}
export interface TgSticker {
  file_id: string;
  file_unique_id: string;
  type: 'regular';
  width: number;
  height: number;
  is_animated: boolean;
  is_video: boolean;
  emoji?: string;
  file_size?: number;
}
export interface TgEntity {
  type: string;
  offset: number;
  length: number;
}
export interface InlineButton {
  text: string;
  callback_data?: string;
  url?: string;
  /** A Pay button: only as the first button of an invoice (https://core.telegram.org/bots/api#inlinekeyboardbutton). */
  pay?: boolean;
}
export interface InlineKeyboardMarkup {
  inline_keyboard: InlineButton[][];
}
export interface TgMessage {
  message_id: number;
  from?: TgUser;
  chat: TgChat;
  date: number;
  edit_date?: number;
  text?: string;
  entities?: TgEntity[];
  caption?: string;
  /** The album this message belongs to (https://core.telegram.org/bots/api#message). */
  media_group_id?: string;
  photo?: TgPhotoSize[];
  video?: TgVideo;
  document?: TgDocument;
  sticker?: TgSticker;
  reply_markup?: InlineKeyboardMarkup;
  invoice?: TgInvoice;
  successful_payment?: TgSuccessfulPayment;
  refunded_payment?: TgRefundedPayment;
}
// ---- payments (https://core.telegram.org/bots/api#payments) ----
/** https://core.telegram.org/bots/api#invoice */
export interface TgInvoice {
  title: string;
  description: string;
  start_parameter: string;
  currency: string;
  total_amount: number;
}
/** https://core.telegram.org/bots/api#successfulpayment */
export interface TgSuccessfulPayment {
  currency: string;
  total_amount: number;
  invoice_payload: string;
  telegram_payment_charge_id: string;
  provider_payment_charge_id: string;
}
/** https://core.telegram.org/bots/api#refundedpayment */
export interface TgRefundedPayment {
  currency: 'XTR';
  total_amount: number;
  invoice_payload: string;
  telegram_payment_charge_id: string;
  provider_payment_charge_id?: string;
}
/** https://core.telegram.org/bots/api#precheckoutquery */
export interface TgPreCheckoutQuery {
  id: string;
  from: TgUser;
  currency: string;
  total_amount: number;
  invoice_payload: string;
}
export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message?: TgMessage;
  chat_instance: string;
  data?: string;
}
export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  callback_query?: TgCallbackQuery;
  pre_checkout_query?: TgPreCheckoutQuery;
}
export interface TgFile {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
  file_path?: string;
}

/** The error a Bot API method answers with: `{ ok: false, error_code, description, parameters? }`. */
export class TgError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}
export const badRequest = (what: string): TgError => new TgError(400, `Bad Request: ${what}`);

// ---- the simulator's own API (see the brief) ----

export type SimUser = { userId: number; chatId?: number; firstName?: string; languageCode?: string; username?: string };

export type SimMessage = {
  messageId: number;
  chatId: number;
  kind: 'text' | 'video' | 'photo' | 'document' | 'invoice';
  text?: string;
  caption?: string;
  parseMode?: string;
  replyMarkup?: InlineKeyboardMarkup;
  video?: { fileId: string; sizeBytes: number; sourceUrl?: string };
  photo?: { fileId: string; sizeBytes: number; sourceUrl?: string };
  document?: { fileId: string; sizeBytes: number; fileName?: string; mimeType?: string; sourceUrl?: string };
  /** The invoice of a sendInvoice message (Bot API shape). */
  invoice?: TgInvoice;
  /** A refunded_payment service message the sim wrote on the bot's behalf after refundStarPayment. */
  refundedPayment?: TgRefundedPayment;
  edited: boolean;
  date: number;
};

export interface TelegramBehavior {
  /** Delay before every Bot API answer. */
  latencyMs: number;
  /** The next N sending/editing calls fail with 500 and have no effect. */
  failNext: number;
  /** Per-chat and global send limits; Telegram: ~1 msg/s per chat, ~30 msg/s overall. */
  rateLimit: { perChatPerSecond: number; globalPerSecond: number; perChatBurst?: number };
  /** The next N sending/editing calls answer 429 with `retry_after = retryAfterSeconds`. */
  throttleNext: number;
  retryAfterSeconds: number;
  /**
   * Share of sending/editing calls answered 429 with `retry_after = retryAfterSeconds`, and share
   * answered 403 "bot was blocked by the user", at random (the sandbox control panel). Neither
   * loosens the real limits above: a call that passes still meets them.
   */
  throttleRate?: number;
  blockedRate?: number;
  /** How long the sim waits for a webhook answer before it counts as failed and the update is re-sent. */
  webhookTimeoutMs: number;
  /** Pause before re-sending an update the webhook did not take. */
  webhookRetryMs: number;
  /**
   * How long a payment waits for answerPreCheckoutQuery before it fails: Telegram's 10 s
   * (https://core.telegram.org/bots/api#answerprecheckoutquery). Tests may shorten it.
   */
  preCheckoutTimeoutMs: number;
}
