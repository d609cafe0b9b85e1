/**
 * What the order's status message says about the queue, and when it is worth an edit.
 * Pure: the status service asks the dispatcher (`kie.queue.estimate`) and applies these.
 * docs/design.md §6.1, "Honest waits".
 */

/** The queue line of the status message. */
export type Progress =
  /** Not started: `ahead` videos before the order's first one, ready in about `waitSeconds`. */
  | { kind: 'queued'; ahead: number; waitSeconds: number }
  /** Started: the first video is being made; `waiting` more still queued, the last ready in about `lastWaitSeconds`. */
  | { kind: 'started'; waiting: number; lastWaitSeconds: number | null }
  /** No estimate (the dispatcher did not answer, or no key can take work now): a neutral line. */
  | { kind: 'unknown'; started: boolean };

/** The answer of `kie.queue.estimate`, or null when the dispatcher did not answer. */
export interface QueueEstimate {
  position: number;
  waitSeconds: number | null;
  lastWaitSeconds: number | null;
  waiting: number;
}

/** The status message is kept current while the expected wait is over this (issue 10: 2 minutes). */
export const WATCH_WAIT_OVER_S = 120;
/** At most one edit of an order's status message per this (the Telegram budget is for videos). */
export const EDIT_INTERVAL_MS = 60_000;

export function progressOf(started: boolean, e: QueueEstimate | null): Progress {
  if (started) {
    if (!e) return { kind: 'unknown', started };
    return { kind: 'started', waiting: e.waiting, lastWaitSeconds: e.waiting > 0 ? e.lastWaitSeconds : null };
  }
  if (!e || e.waitSeconds === null) return { kind: 'unknown', started };
  return { kind: 'queued', ahead: e.position, waitSeconds: e.waitSeconds };
}

/** Minutes as the seller reads them: rounded up, at least 1. */
export const minutesOf = (seconds: number) => Math.max(1, Math.ceil(seconds / 60));

/** The Cancel-queued button stays while videos may still be queued (unknown counts as maybe). */
export const cancellable = (p: Progress) => p.kind !== 'started' || p.waiting > 0;

/**
 * Whether the message should keep being updated: the first video has not arrived (the
 * caller checks that) and the order's expected wait is still over two minutes.
 */
export function keepWatching(p: Progress): boolean {
  switch (p.kind) {
    case 'queued':
      return p.waitSeconds > WATCH_WAIT_OVER_S;
    case 'started':
      return p.waiting > 0 && p.lastWaitSeconds !== null && p.lastWaitSeconds > WATCH_WAIT_OVER_S;
    case 'unknown':
      // No key can take work, or the dispatcher is away: look again later.
      return true;
  }
}

/** A change of at least `min`, and of at least a fifth of the figure shown. */
const moved = (before: number, after: number, min: number) => Math.abs(after - before) >= Math.max(min, before / 5);

/**
 * Whether `next` says something the seller should see instead of `shown`: a new state, the
 * button coming off, or the position or the wait moving noticeably. Small moves are not
 * worth a message of the bot's ~30/s: at the peak hundreds of orders wait at once.
 */
export function worthEditing(shown: Progress | null, next: Progress): boolean {
  if (!shown) return true;
  if (shown.kind !== next.kind || cancellable(shown) !== cancellable(next)) return true;
  if (shown.kind === 'queued' && next.kind === 'queued') {
    return moved(shown.ahead, next.ahead, 1) || moved(minutesOf(shown.waitSeconds), minutesOf(next.waitSeconds), 1);
  }
  if (shown.kind === 'started' && next.kind === 'started') {
    if (shown.waiting !== next.waiting) return true;
    if (shown.lastWaitSeconds === null || next.lastWaitSeconds === null) return shown.lastWaitSeconds !== next.lastWaitSeconds;
    return moved(minutesOf(shown.lastWaitSeconds), minutesOf(next.lastWaitSeconds), 1);
  }
  if (shown.kind === 'unknown' && next.kind === 'unknown') return shown.started !== next.started;
  return false;
}
