/**
 * The one place that decides what a failed Telegram send means. Pure: the adapter turns
 * grammY's errors into a `SendFailure` and acts on the verdict.
 */

export type SendFailure =
  /** The Bot API answered with an error (GrammyError). */
  | { type: 'api'; errorCode: number; description: string; retryAfterSec?: number; viaUrl?: boolean }
  /** The request never got an answer (network, timeout: grammY's HttpError). */
  | { type: 'network'; message: string }
  /** Our own download of a video for upload failed (KIE result URL). */
  | { type: 'download'; status?: number; message: string }
  /** The video is bigger than a bot may upload. */
  | { type: 'too_large'; sizeBytes: number };

export type Verdict =
  /** Telegram asked us to wait: retry after `retryAfterMs`. */
  | { kind: 'rate_limited'; retryAfterMs: number }
  /** This chat can never receive the message (bot blocked, chat gone): record and move on. */
  | { kind: 'undeliverable'; reason: string }
  /** Telegram would not fetch the video URL itself: download it and upload the bytes. */
  | { kind: 'url_refused'; reason: string }
  /** Worth another try later. */
  | { kind: 'transient'; reason: string }
  /** Telegram refused what we sent (a bug on our side): park it for a person to look at. */
  | { kind: 'rejected'; reason: string };

// Bot API descriptions for chats a bot cannot write to. 403 is always one of these.
const GONE = [
  'chat not found',
  'user not found',
  'bot was blocked',
  'user is deactivated',
  'bot was kicked',
  'peer_id_invalid',
  'not enough rights',
  'have no rights',
  'group chat was upgraded',
  'bot can\'t initiate conversation',
];

// What the Bot API says when it cannot or will not fetch a file by URL (20 MB limit, bad content type).
const URL_REFUSED = [
  'failed to get http url content',
  'wrong file identifier/http url specified',
  'wrong type of the web page content',
  'http url content',
  'file is too big',
  'request entity too large',
];

export function classifySendFailure(f: SendFailure): Verdict {
  switch (f.type) {
    case 'network':
      return { kind: 'transient', reason: `network: ${f.message}` };
    case 'too_large':
      return { kind: 'undeliverable', reason: `video of ${f.sizeBytes} bytes exceeds the 50 MB upload limit` };
    case 'download':
      // An expired or missing KIE result URL will not come back; a 5xx or a broken connection may.
      if (f.status !== undefined && f.status >= 400 && f.status < 500 && f.status !== 408 && f.status !== 429) {
        return { kind: 'undeliverable', reason: `video download failed with ${f.status}` };
      }
      return { kind: 'transient', reason: `video download failed: ${f.message}` };
    case 'api': {
      const d = f.description.toLowerCase();
      if (f.errorCode === 429) {
        return { kind: 'rate_limited', retryAfterMs: Math.max(1, f.retryAfterSec ?? 1) * 1000 };
      }
      if (f.errorCode === 403) return { kind: 'undeliverable', reason: f.description };
      if (f.errorCode === 400 && GONE.some((g) => d.includes(g))) return { kind: 'undeliverable', reason: f.description };
      if (f.viaUrl && (f.errorCode === 400 || f.errorCode === 413) && URL_REFUSED.some((u) => d.includes(u))) {
        return { kind: 'url_refused', reason: f.description };
      }
      if (f.viaUrl && f.errorCode === 413) return { kind: 'url_refused', reason: f.description };
      if (f.errorCode >= 500 || f.errorCode === 409 || f.errorCode === 420) {
        return { kind: 'transient', reason: `${f.errorCode} ${f.description}` };
      }
      return { kind: 'rejected', reason: `${f.errorCode} ${f.description}` };
    }
  }
}

/**
 * Why a video can never reach the chat, or null if it might still (or the fault is not the
 * video's). Besides the `undeliverable` verdicts, Telegram refusing the video request
 * itself (`rejected`, e.g. a 400 or 413 on the upload) counts: parking that message would
 * keep the seller's credit held with no video to show for it. A refusal of the bot as a
 * whole (401 Unauthorized, 404 Not Found: a revoked or wrong token) is not about this
 * video; it stays parked, so the video can still be sent once the token is fixed.
 */
export function videoUndeliverableReason(verdict: Verdict, failure: SendFailure): string | null {
  if (verdict.kind === 'undeliverable') return verdict.reason;
  if (verdict.kind !== 'rejected') return null;
  if (failure.type === 'api' && (failure.errorCode === 401 || failure.errorCode === 404)) return null;
  return verdict.reason;
}

/**
 * A URL safe to log: scheme, host and path only. Query strings of result URLs often carry
 * signatures or tokens, and a Telegram file URL carries the bot token in its path.
 */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname.replace(/\/bot\d+:[A-Za-z0-9_-]+/g, '/bot<redacted>');
    return `${u.protocol}//${u.host}${path}${u.search ? '?…' : ''}`;
  } catch {
    return '<invalid url>';
  }
}

/** An edit to the text the message already has: Telegram answers 400 "message is not modified". */
export const isNotModified = (f: SendFailure) =>
  f.type === 'api' && f.errorCode === 400 && f.description.toLowerCase().includes('message is not modified');

/**
 * The message to edit can never be edited again: deleted, too old, or the chat is gone.
 * Bot API 400 descriptions: "message to edit not found", "message can't be edited".
 */
export function editGone(verdict: Verdict, f: SendFailure): boolean {
  if (verdict.kind === 'undeliverable') return true;
  if (f.type !== 'api' || f.errorCode !== 400) return false;
  const d = f.description.toLowerCase();
  return d.includes('message to edit not found') || d.includes("message can't be edited");
}
