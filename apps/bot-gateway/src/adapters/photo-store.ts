import type { ObjectStore } from '@nats-io/obj';
import { PHOTO_MAX_BYTES, type PhotoRef } from '@neurocards/contracts';
import type { Logger } from '@neurocards/platform';
import { loggableError } from './telegram-errors';
import {
  checkCandidate,
  checkDownloaded,
  type PhotoCandidate,
  type PhotoRejection,
} from '../domain/validation';

export type PhotoResult = { ok: true; photo: PhotoRef } | { ok: false; reason: PhotoRejection };

export interface PhotoStore {
  /** Downloads a Telegram file, checks its bytes and stores it in the `photos` bucket. */
  fetchAndStore(c: PhotoCandidate): Promise<PhotoResult>;
}

export interface PhotoStoreDeps {
  /** Bot API `getFile` (grammY's `bot.api.getFile`). */
  getFile(fileId: string): Promise<{ file_path?: string; file_size?: number }>;
  apiRoot: string;
  /** Only used to build the download URL, which never leaves this module and is never logged. */
  token: string;
  store: ObjectStore;
  log: Logger;
  fetch?: typeof globalThis.fetch;
  downloadTimeoutMs?: number;
}

class TooLarge extends Error {}

/** Reads a response body, giving up as soon as it passes `limit` bytes. */
async function readLimited(res: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) throw new TooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) throw new TooLarge();
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function createPhotoStore(deps: PhotoStoreDeps): PhotoStore {
  const log = deps.log.child({ module: 'photo-store' });
  const fetchImpl = deps.fetch ?? globalThis.fetch;
  const root = deps.apiRoot.replace(/\/+$/, '');

  async function download(c: PhotoCandidate): Promise<Uint8Array | PhotoRejection> {
    let file: { file_path?: string; file_size?: number };
    try {
      file = await deps.getFile(c.fileId);
    } catch (err) {
      // Bot API refuses getFile above 20 MB ("file is too big").
      if (err instanceof Error && /too big/i.test(err.message)) return 'too_large';
      log.warn({ err: loggableError(err), fileUniqueId: c.fileUniqueId }, 'getFile failed');
      return 'unreadable';
    }
    if ((file.file_size ?? 0) > PHOTO_MAX_BYTES) return 'too_large';
    if (!file.file_path) return 'unreadable';
    // The URL carries the bot token: it is used right here and nowhere else.
    const url = `${root}/file/bot${deps.token}/${file.file_path}`;
    try {
      const res = await fetchImpl(url, { signal: AbortSignal.timeout(deps.downloadTimeoutMs ?? 30_000) });
      if (!res.ok) {
        log.warn({ status: res.status, fileUniqueId: c.fileUniqueId }, 'file download failed');
        return 'unreadable';
      }
      return await readLimited(res, PHOTO_MAX_BYTES);
    } catch (err) {
      if (err instanceof TooLarge) return 'too_large';
      // Log the error class only: some clients quote the URL they called in the message.
      log.warn({ error: (err as Error)?.name, fileUniqueId: c.fileUniqueId }, 'file download failed');
      return 'unreadable';
    }
  }

  return {
    async fetchAndStore(c) {
      const early = checkCandidate(c);
      if (early) return { ok: false, reason: early };
      const bytes = await download(c);
      if (!(bytes instanceof Uint8Array)) return { ok: false, reason: bytes };
      const check = checkDownloaded(bytes);
      if (!check.ok) return { ok: false, reason: check.reason };
      // One object per Telegram file: the same file sent twice is stored once, under the same name.
      const objectKey = `tg-${c.fileUniqueId}`;
      await deps.store.putBlob({ name: objectKey, metadata: { mimeType: check.mime } }, bytes);
      log.info({ objectKey, sizeBytes: bytes.length, mimeType: check.mime }, 'photo stored');
      return {
        ok: true,
        photo: { objectKey, mimeType: check.mime, sizeBytes: bytes.length, fileUniqueId: c.fileUniqueId },
      };
    },
  };
}
