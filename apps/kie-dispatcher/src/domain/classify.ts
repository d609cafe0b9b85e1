import type { KieErrorClass } from '@neurocards/contracts';

/**
 * Everything that can go wrong with one KIE attempt, as seen by the dispatcher. The
 * adapters describe what happened; `classify` alone decides what it means.
 */
export type KieFailure =
  /** KIE answered, but not with success. `code` is the body's `code` when it had one. */
  | { kind: 'http'; status: number; code: number | null; message: string; retryAfterMs?: number | null }
  /** The request never got an answer (DNS, reset, refused). */
  | { kind: 'network'; message: string }
  /** Our own request timeout passed. */
  | { kind: 'timeout'; message: string }
  /** The task ran and ended in `fail`. */
  | { kind: 'task_failed'; failCode: string | null; failMsg: string | null }
  /** The task ran past GENERATION_DEADLINE without a result. */
  | { kind: 'deadline'; message: string };

export interface Classified {
  class: KieErrorClass;
  /** The KIE code behind the decision (HTTP status or body code), null when there was none. */
  code: number | null;
  message: string;
  /** For `rate_limited`: how long KIE asked us to wait (Retry-After), when it said. */
  retryAfterMs: number | null;
  /** 451: KIE could not fetch the photo; the cached upload URL must not be reused. */
  reupload?: boolean;
}

/**
 * Every KIE answer and what it means (docs/design.md §1, §4). Codes come as the HTTP status and/or
 * the body `code` (see `effectiveCode`); a 422 is read by its message.
 *
 * | code | class | why |
 * |---|---|---|
 * | 401 | billing | that key is revoked: the key is blocked, admins alerted |
 * | 402 | billing | the ACCOUNT has no credits: every key of it is blocked, admins alerted |
 * | 422 + content wording | user_violation | the seller's photo/prompt was refused |
 * | 422 otherwise (model/parameter validation) | config | our configuration: a withdrawn model, a bad parameter |
 * | 429 | rate_limited | the account's window is spent: cool down, back off |
 * | 433 | key_capped | that key's own cap: cool it down, retry at once on another key |
 * | 451 | transient (+ re-upload) | KIE could not fetch the photo URL |
 * | 455, 5xx, other | transient | maintenance, server error: retry within the attempt limit |
 * | 505 | config | the feature (model) is disabled for the account |
 */
const BILLING_CODES = new Set([401, 402]);

/**
 * Phrases KIE (and the models behind it) use when they refuse content. A task `fail` that
 * says one of them is the seller's photo or prompt, so retrying would only repeat it. Bare
 * words like "content", "policy" or "safety" are not enough: "failed to fetch content from
 * image url" is an infrastructure error, and calling it a violation would wrongly tell the
 * seller they broke the rules (and never retry).
 */
const CONTENT_REFUSAL = new RegExp(
  [
    'content[\\s_-]*polic', // content policy / policies / content_policy
    'usage[\\s_-]*polic',
    'moderat(?:ion|ed)',
    'nsfw',
    'violat', // violates, violating, violation
    'prohibit',
    '(?:sensitive|unsafe|harmful|inappropriate|sexual|explicit)[\\s_-]*content',
    '\\bflagged\\b',
    'public[\\s_-]*figure',
    'celebrit',
    'copyright',
    'guidelines?\\b',
  ].join('|'),
  'i',
);

/**
 * The effective KIE code of an HTTP answer. KIE often answers HTTP 200 with an error in the
 * body `code` (e.g. `{ code: 402 }`), and a gateway may answer a bare HTTP error without a
 * body, so both are checked: a non-200 body code wins, else a non-200 status.
 */
export function effectiveCode(status: number, bodyCode: number | null): number {
  if (bodyCode !== null && bodyCode !== 200) return bodyCode;
  return status;
}

export function classify(f: KieFailure): Classified {
  switch (f.kind) {
    case 'http': {
      const code = effectiveCode(f.status, f.code);
      return {
        ...classifyCode(code, f.message),
        code,
        message: f.message,
        retryAfterMs: code === 429 ? (f.retryAfterMs ?? null) : null,
      };
    }
    case 'network':
    case 'timeout':
    case 'deadline':
      return { class: 'transient', code: null, message: f.message, retryAfterMs: null };
    case 'task_failed': {
      const text = `${f.failCode ?? ''} ${f.failMsg ?? ''}`;
      const numeric = f.failCode !== null && /^\d+$/.test(f.failCode) ? Number(f.failCode) : null;
      // A server-side failCode (5xx) means KIE's side failed, whatever the message says.
      const serverSide = numeric !== null && numeric >= 500 && numeric < 600;
      return {
        class: !serverSide && CONTENT_REFUSAL.test(text) ? 'user_violation' : 'transient',
        code: numeric,
        message: f.failMsg ?? f.failCode ?? 'task failed',
        retryAfterMs: null,
      };
    }
    default:
      return assertNever(f);
  }
}

function classifyCode(code: number, message: string): { class: KieErrorClass; reupload?: boolean } {
  if (BILLING_CODES.has(code)) return { class: 'billing' };
  // 422 is KIE's validation answer: a refused prompt/image (the seller's, never retried), or
  // an unknown model / a bad parameter (ours: "model not supported", "invalid aspect_ratio",
  // "n_frames is not a valid parameter"). Only content wording blames the seller; anything
  // else is configuration, so nobody is told they broke the rules for our mistake.
  if (code === 422) return { class: CONTENT_REFUSAL.test(message) ? 'user_violation' : 'config' };
  if (code === 505) return { class: 'config' };
  if (code === 433) return { class: 'key_capped' };
  if (code === 429) return { class: 'rate_limited' };
  if (code === 451) return { class: 'transient', reupload: true };
  // 455 maintenance, 500 server error, 501 generation failed, any other 5xx, and anything
  // unexpected: worth another try, bounded by the attempt limit.
  return { class: 'transient' };
}

export function assertNever(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
