/**
 * "Nothing can be submitted while videos wait" (issue 10): the admins hear of it once per
 * episode, and again when it is over. Pure: the watch reads the queue, this decides.
 */

export interface StallInput {
  now: number;
  /** When the current episode began (stored, shared by the replicas); null: none. */
  stalledSince: number | null;
  /** Videos not yet sent to KIE. */
  waiting: number;
  /** Enqueue time of the oldest of them; null when none waits. */
  oldestWaitingAt: number | null;
  /** The last createTask sent by any replica; null when none ever was. */
  lastSubmitAt: number | null;
  /** QUEUE_STALL_ALERT. */
  afterMs: number;
}

export type StallDecision =
  | { kind: 'none' }
  /** A new episode: it began at `since` (the last submission, or when the oldest video queued). */
  | { kind: 'stall'; since: number }
  | { kind: 'recover' };

export function decideStall(i: StallInput): StallDecision {
  if (i.stalledSince !== null) {
    // Over when something went out after the episode began, or nothing waits any more.
    const moved = i.lastSubmitAt !== null && i.lastSubmitAt > i.stalledSince;
    return moved || i.waiting === 0 ? { kind: 'recover' } : { kind: 'none' };
  }
  if (i.waiting === 0 || i.oldestWaitingAt === null) return { kind: 'none' };
  // Stalled since the later of the last submission and the oldest waiting video's arrival:
  // a queue that had nothing to send was not stalled before something arrived.
  const since = Math.max(i.lastSubmitAt ?? Number.NEGATIVE_INFINITY, i.oldestWaitingAt);
  return i.now - since > i.afterMs ? { kind: 'stall', since } : { kind: 'none' };
}
