import { PHOTO_MAX_BYTES, PHOTO_MIME_TYPES, WISHES_MAX_LENGTH, type VideoCount } from '@neurocards/contracts';

export type PhotoMime = (typeof PHOTO_MIME_TYPES)[number];

/** Why a photo was not accepted; each has its own message. */
export type PhotoRejection = 'not_image' | 'too_large' | 'unreadable';

/** What Telegram tells us about a file before we download it. */
export interface PhotoCandidate {
  fileId: string;
  fileUniqueId: string;
  /** Declared mime type of a document; compressed photos are always JPEG. */
  declaredMime: string | null;
  /** Declared size, when Telegram reports one. */
  sizeBytes: number | null;
  /** A compressed photo (not a document). */
  compressed: boolean;
}

export function isPhotoMime(m: string | null | undefined): m is PhotoMime {
  return (PHOTO_MIME_TYPES as readonly string[]).includes(m ?? '');
}

/** Checks what can be checked before downloading: declared type and size. */
export function checkCandidate(c: PhotoCandidate): PhotoRejection | null {
  if (!c.compressed && !isPhotoMime(c.declaredMime)) return 'not_image';
  if (c.sizeBytes !== null && c.sizeBytes > PHOTO_MAX_BYTES) return 'too_large';
  return null;
}

/** The image type by its magic bytes, or null when the bytes are not JPEG/PNG/WebP. */
export function sniffImageType(b: Uint8Array): PhotoMime | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length >= 8 && png.every((x, i) => b[i] === x)) return 'image/png';
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return null;
}

/** Checks downloaded bytes: real image content within the size limit. */
export function checkDownloaded(
  bytes: Uint8Array,
): { ok: true; mime: PhotoMime } | { ok: false; reason: PhotoRejection } {
  if (bytes.length > PHOTO_MAX_BYTES) return { ok: false, reason: 'too_large' };
  const mime = sniffImageType(bytes);
  return mime ? { ok: true, mime } : { ok: false, reason: 'not_image' };
}

export type WishesCheck =
  | { ok: true; wishes: string }
  | { ok: false; reason: 'empty' }
  | { ok: false; reason: 'too_long'; length: number };

/** Wishes / own prompt: trimmed, non-empty, at most 1,000 characters (docs/design.md §1, step 4). */
export function checkWishes(text: string): WishesCheck {
  const wishes = text.trim();
  if (wishes.length === 0) return { ok: false, reason: 'empty' };
  // UTF-16 length, the unit the order contract's `max(1000)` counts in.
  const length = wishes.length;
  if (length > WISHES_MAX_LENGTH) return { ok: false, reason: 'too_long', length };
  return { ok: true, wishes };
}

export const VIDEO_COUNTS: readonly VideoCount[] = [1, 3, 5];

/**
 * Which counts the keyboard offers: those whose price (`count × creditsPerVideo`) the
 * balance covers. Unknown balance (billing did not answer): every count stays enabled,
 * because billing still reserves atomically and rejects what it cannot pay.
 */
export function countOptions(
  balance: number | null,
  creditsPerVideo: number,
): Array<{ count: VideoCount; enabled: boolean }> {
  return VIDEO_COUNTS.map((count) => ({
    count,
    enabled: balance === null || balance >= count * creditsPerVideo,
  }));
}
