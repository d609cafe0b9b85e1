import { readCapped } from '../shared/http.js';
import { imageSize } from '../shared/image.js';
import type { Params } from './params.js';
import type { FileKind, StoredFile, TelegramState } from './state.js';
import { badRequest } from './types.js';
import type { TgPhotoSize } from './types.js';

const MB = 1024 * 1024;
/** Bot API limits: files sent by URL up to 20 MB (photos 5 MB), photo uploads up to 10 MB. */
const URL_LIMIT: Record<FileKind, number> = { photo: 5 * MB, video: 20 * MB, document: 20 * MB, sticker: 5 * MB };
const UPLOAD_LIMIT: Record<FileKind, number> = { photo: 10 * MB, video: 50 * MB, document: 50 * MB, sticker: 50 * MB };
const WRONG_ID = 'wrong file identifier/HTTP URL specified';
const TYPE_NAME: Record<FileKind, string> = { photo: 'Photo', video: 'Video', document: 'Document', sticker: 'Sticker' };

/**
 * Resolves an InputFile parameter the three ways Telegram takes it: a multipart upload (directly or
 * as `attach://<field>`), an HTTP URL the server downloads itself, or an existing file_id.
 */
export async function inputFile(state: TelegramState, params: Params, field: string, kind: FileKind): Promise<StoredFile> {
  const value = params.values[field];
  const ref = typeof value === 'string' ? value : undefined;
  const upload = params.files.get(field) ?? (ref?.startsWith('attach://') ? params.files.get(ref.slice(9)) : undefined);
  if (upload !== undefined) {
    if (upload.bytes.length === 0) throw badRequest('file must be non-empty');
    if (upload.bytes.length > UPLOAD_LIMIT[kind]) throw badRequest('file is too big');
    const mime = kind === 'photo' ? (imageSize(upload.bytes)?.mimeType ?? 'image/jpeg') : upload.mimeType || 'application/octet-stream';
    return state.storeFile(kind, upload.bytes, mime, upload.fileName);
  }
  if (ref === undefined || ref === '' || ref.startsWith('attach://')) throw badRequest(`there is no ${kind} in the request`);
  if (/^https?:\/\//i.test(ref)) return download(state, ref, kind);
  const existing = state.files.get(ref);
  if (existing === undefined) throw badRequest(WRONG_ID);
  if (existing.kind !== kind && kind !== 'document') {
    throw badRequest(`can't use file of type ${TYPE_NAME[existing.kind]} as ${TYPE_NAME[kind]}`);
  }
  return existing;
}

async function download(state: TelegramState, url: string, kind: FileKind): Promise<StoredFile> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch {
    throw badRequest('failed to get HTTP URL content');
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw badRequest(WRONG_ID);
  }
  const read = await readCapped(res.body as AsyncIterable<Uint8Array> | null, URL_LIMIT[kind]);
  if ('tooBig' in read) throw badRequest('file is too big');
  if (read.bytes.length === 0) throw badRequest(WRONG_ID);
  const mime = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() || (kind === 'video' ? 'video/mp4' : 'application/octet-stream');
  if (kind === 'photo' && imageSize(read.bytes) === undefined) throw badRequest('wrong type of the web page content');
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || undefined;
  return state.storeFile(kind, read.bytes, kind === 'photo' ? (imageSize(read.bytes)?.mimeType ?? mime) : mime, name, url);
}

/**
 * The PhotoSize array Telegram makes of a photo: thumbnails of increasing size, the original last.
 * Every size here carries the original bytes (the sim does not resample), so any of them downloads.
 */
export function photoSizes(state: TelegramState, first: StoredFile): TgPhotoSize[] {
  const dims = imageSize(first.bytes);
  const w = dims && dims.width > 0 ? dims.width : 1280;
  const h = dims && dims.height > 0 ? dims.height : 1280;
  const longest = Math.max(w, h);
  const sides = [90, 320, 800].filter((s) => s < longest);
  const sizes = sides.map((side) => {
    const f = state.storeFile('photo', first.bytes, first.mimeType);
    const k = side / longest;
    return { file_id: f.fileId, file_unique_id: f.fileUniqueId, width: Math.round(w * k), height: Math.round(h * k), file_size: f.bytes.length };
  });
  sizes.push({ file_id: first.fileId, file_unique_id: first.fileUniqueId, width: w, height: h, file_size: first.bytes.length });
  return sizes;
}
