import { Api, GrammyError, HttpError, InputFile, type Transformer } from 'grammy';
import { fetch } from 'undici';
import { telegramMetricsTransformer, type Logger, type TelegramMetrics } from '@neurocards/platform';
import type { Button } from '../domain/messages';
import { classifySendFailure, isNotModified, safeUrl, type SendFailure, type Verdict } from '../domain/telegram-errors';

/** Telegram: a bot may upload files up to 50 MB (sendVideo by URL: 20 MB). */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** A send that failed, with the verdict of domain/telegram-errors. Never carries the payload (URLs, texts). */
export class SendFailedError extends Error {
  readonly code = 'TELEGRAM_SEND_FAILED';
  constructor(
    readonly verdict: Verdict,
    readonly failure: SendFailure,
  ) {
    super(`telegram send failed (${verdict.kind}): ${'reason' in verdict ? verdict.reason : `retry in ${verdict.retryAfterMs} ms`}`);
    this.name = 'SendFailedError';
  }
}

/** A sent video: its message, how it went, and Telegram's file_id for sending it again. */
export interface SentVideo {
  messageId: number;
  via: 'url' | 'upload';
  /** message.video.file_id of sendVideo's answer (https://core.telegram.org/bots/api#video). */
  fileId?: string;
}

export interface TelegramSender {
  sendText(chatId: number, text: string, buttons?: readonly Button[]): Promise<{ messageId: number }>;
  /** By URL first; if Telegram will not fetch it, downloads the video and uploads the bytes. */
  sendVideo(
    chatId: number,
    videoUrl: string,
    caption: string,
    buttons?: readonly Button[],
  ): Promise<SentVideo>;
  /**
   * Replaces a sent text message's text and buttons (no buttons: the keyboard comes off).
   * 'unchanged' when Telegram says it already reads so (a repeated edit is harmless).
   */
  editText(chatId: number, messageId: number, text: string, buttons?: readonly Button[]): Promise<'edited' | 'unchanged'>;
}

/** The Bot API client. The token stays inside grammY's request URLs to `apiRoot`. */
export function createTelegramApi(opts: {
  token: string;
  apiRoot: string;
  timeoutSeconds: number;
  /** Bot API latency and 429s on the service's `/metrics`. */
  metrics?: TelegramMetrics;
}): Api {
  const api = new Api(opts.token, { apiRoot: opts.apiRoot, timeoutSeconds: opts.timeoutSeconds });
  // Structurally a grammY transformer (the platform does not depend on grammY); the first
  // installed is the innermost, so it times each attempt.
  if (opts.metrics) api.config.use(telegramMetricsTransformer(opts.metrics) as unknown as Transformer);
  return api;
}

/** Turns grammY's errors into the plain shape the domain classifies. */
export function toFailure(err: unknown, viaUrl = false): SendFailure {
  if (err instanceof GrammyError) {
    return {
      type: 'api',
      errorCode: err.error_code,
      description: err.description,
      ...(err.parameters?.retry_after !== undefined ? { retryAfterSec: err.parameters.retry_after } : {}),
      viaUrl,
    };
  }
  // HttpError: no answer from the Bot API. Its message never contains the token (sensitiveLogs is off).
  if (err instanceof HttpError) return { type: 'network', message: err.message };
  return { type: 'network', message: err instanceof Error ? err.message : String(err) };
}

const fail = (failure: SendFailure) => new SendFailedError(classifySendFailure(failure), failure);

/** retry_after of a 429 in ms, for the scheduler. */
export const retryAfterOf = (err: unknown): number | undefined =>
  err instanceof SendFailedError && err.verdict.kind === 'rate_limited' ? err.verdict.retryAfterMs : undefined;

export interface SenderOptions {
  api: Api;
  log: Logger;
  /** Timeout of the video download for an upload. */
  downloadTimeoutMs: number;
  maxUploadBytes?: number;
}

export function createTelegramSender({ api, log: parent, downloadTimeoutMs, maxUploadBytes = MAX_UPLOAD_BYTES }: SenderOptions): TelegramSender {
  const log = parent.child({ module: 'telegram' });

  const download = async (url: string): Promise<Uint8Array> => {
    let res;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(downloadTimeoutMs), redirect: 'follow' });
    } catch (err) {
      throw fail({ type: 'download', message: err instanceof Error ? err.message : String(err) });
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw fail({ type: 'download', status: res.status, message: `HTTP ${res.status}` });
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > maxUploadBytes) {
      await res.body.cancel().catch(() => undefined);
      throw fail({ type: 'too_large', sizeBytes: declared });
    }
    // Buffered with a cap, so an oversized body without content-length stops at the limit.
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += chunk.byteLength;
        if (size > maxUploadBytes) {
          await res.body.cancel().catch(() => undefined);
          throw fail({ type: 'too_large', sizeBytes: size });
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof SendFailedError) throw err;
      throw fail({ type: 'download', message: err instanceof Error ? err.message : String(err) });
    }
    return Buffer.concat(chunks, size);
  };

  return {
    async sendText(chatId, text, buttons) {
      try {
        const m = await api.sendMessage(chatId, text, { link_preview_options: { is_disabled: true }, ...markup(buttons) });
        return { messageId: m.message_id };
      } catch (err) {
        throw fail(toFailure(err));
      }
    },

    async editText(chatId, messageId, text, buttons) {
      try {
        // https://core.telegram.org/bots/api#editmessagetext: without reply_markup the inline keyboard is removed.
        await api.editMessageText(chatId, messageId, text, { link_preview_options: { is_disabled: true }, ...markup(buttons) });
        return 'edited';
      } catch (err) {
        const failure = toFailure(err);
        if (isNotModified(failure)) return 'unchanged';
        throw fail(failure);
      }
    },

    async sendVideo(chatId, videoUrl, caption, buttons) {
      try {
        const m = await api.sendVideo(chatId, videoUrl, { caption, supports_streaming: true, ...markup(buttons) });
        return { messageId: m.message_id, via: 'url', ...fileIdOf(m) };
      } catch (err) {
        const failure = toFailure(err, true);
        const verdict = classifySendFailure(failure);
        if (verdict.kind !== 'url_refused') throw new SendFailedError(verdict, failure);
        log.info({ chatId, video: safeUrl(videoUrl), reason: verdict.reason }, 'Telegram refused the video URL; uploading');
      }
      const bytes = await download(videoUrl);
      try {
        const m = await api.sendVideo(chatId, new InputFile(bytes, 'video.mp4'), {
          caption,
          supports_streaming: true,
          ...markup(buttons),
        });
        return { messageId: m.message_id, via: 'upload', ...fileIdOf(m) };
      } catch (err) {
        throw fail(toFailure(err));
      }
    },
  };
}

/** One row of inline buttons (https://core.telegram.org/bots/api#inlinekeyboardmarkup). */
function markup(buttons: readonly Button[] | undefined) {
  if (!buttons || buttons.length === 0) return {};
  return { reply_markup: { inline_keyboard: [buttons.map((b) => ({ text: b.text, callback_data: b.data }))] } };
}

/** The video's file_id in sendVideo's answer, when Telegram gave one. */
function fileIdOf(m: { video?: { file_id: string } }): { fileId?: string } {
  return m.video?.file_id ? { fileId: m.video.file_id } : {};
}
