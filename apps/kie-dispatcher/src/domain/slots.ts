import {
  health,
  inWindow,
  keyHealth,
  pendingInWindow,
  unanswered,
  unansweredBy,
  windowRoom,
  type AccountState,
  type KeyState,
  type SubmitRate,
} from './keys';

/**
 * Submission slots of one key: taken right before createTask, released when it is answered.
 * Pure; the key pool writes the result with a revision check in KV, so every replica sees
 * the same slots.
 */
export interface SlotLimits {
  rate: SubmitRate;
  /** createTask calls on the key that may be unanswered at once. */
  parallel: number;
  /** KIE_MAX_IN_FLIGHT, and the key's tasks in flight (Postgres) as read for this take. */
  maxInFlight: number;
  inFlight: number;
  /** How long a slot stays pending without an answer (longer than the createTask timeout). */
  ttlMs: number;
}

/**
 * Takes a slot for submission `id` if the key may send one more createTask now: not blocked
 * or cooling, room in the rate window, fewer than `parallel` unanswered calls, and room under
 * KIE_MAX_IN_FLIGHT. `null` when it may not.
 */
export function takeSlot(s: KeyState, now: number, id: string, l: SlotLimits): KeyState | null {
  if (health(s, now).state !== 'ok') return null;
  if (windowRoom(s, now, l.rate) < 1) return null;
  const open = unanswered(s, now);
  if (open >= l.parallel || l.inFlight + open >= l.maxInFlight) return null;
  return {
    ...s,
    recent: inWindow(s.recent, now, l.rate),
    pending: [...pendingInWindow(s.pending, now, l.rate), { id, at: now, until: now + l.ttlMs }],
  };
}

/**
 * Takes a slot of account `s` for submission `id` on `key`: the key and its account neither
 * blocked nor cooling, room in the account's window and under its KIE_MAX_IN_FLIGHT
 * (`inFlight` is the account's), fewer than `parallel` unanswered calls on the key.
 */
export function takeKeySlot(
  s: AccountState,
  key: string,
  now: number,
  id: string,
  l: SlotLimits,
): AccountState | null {
  if (keyHealth(s, key, now).state !== 'ok') return null;
  if (windowRoom(s, now, l.rate) < 1) return null;
  if (unansweredBy(s, key, now) >= l.parallel || l.inFlight + unanswered(s, now) >= l.maxInFlight)
    return null;
  return {
    ...s,
    recent: inWindow(s.recent, now, l.rate),
    pending: [...pendingInWindow(s.pending, now, l.rate), { id, at: now, until: now + l.ttlMs, key }],
  };
}

/**
 * The submission's createTask was answered at `answeredAt` (it then counts in the window
 * from that moment, the latest its request can have reached KIE), or never sent (`null`: it
 * frees the slot entirely). `null` when the slot is gone already (nothing to write).
 */
export function releaseSlot<S extends KeyState>(
  s: S,
  id: string,
  answeredAt: number | null,
  rate: SubmitRate,
): S | null {
  if (!s.pending.some((p) => p.id === id)) return null;
  return {
    ...s,
    pending: s.pending.filter((p) => p.id !== id),
    recent: answeredAt === null ? s.recent : [...inWindow(s.recent, answeredAt, rate), answeredAt],
  };
}
