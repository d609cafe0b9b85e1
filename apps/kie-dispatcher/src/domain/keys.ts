/**
 * Per-key state shared by every replica through the `kie_keys` KV bucket, and the pure
 * decisions over it: may this key submit now, which key takes the next task.
 */
export interface KeyState {
  /**
   * Epoch ms of this key's answered submissions inside the current rate window (a sliding
   * log), stamped when the answer came: the request reached KIE no later than that.
   */
  recent: number[];
  /** Submissions whose slot is taken but whose createTask is not answered yet. */
  pending: Pending[];
  /** A 429 cooled the key down until then (epoch ms). */
  coolUntil: number | null;
  /** An account error blocked the key until then (epoch ms). */
  blockedUntil: number | null;
  blockedCode: number | null;
  blockedReason: string | null;
}

/**
 * One createTask in the air. Its request reaches KIE by `until` at the latest (the slot's
 * lifetime, longer than the client's timeout); a replica that dies mid-call leaves it to
 * expire.
 */
export interface Pending {
  id: string;
  at: number;
  until: number;
}

export const emptyKeyState = (): KeyState => ({
  recent: [],
  pending: [],
  coolUntil: null,
  blockedUntil: null,
  blockedCode: null,
  blockedReason: null,
});

/** KIE_SUBMIT_RATE, e.g. `20/10s`: at most `limit` new tasks per `windowMs`. */
export interface SubmitRate {
  limit: number;
  windowMs: number;
}

export type KeyHealth = 'ok' | 'cooling' | 'blocked';

export function health(s: KeyState, now: number): { state: KeyHealth; until: number | null } {
  if (s.blockedUntil !== null && s.blockedUntil > now) return { state: 'blocked', until: s.blockedUntil };
  if (s.coolUntil !== null && s.coolUntil > now) return { state: 'cooling', until: s.coolUntil };
  return { state: 'ok', until: null };
}

/**
 * The submissions still inside the window at `now` (older ones no longer count). Entries
 * stamped after `now` count too: a replica whose clock read is a few ms older than another's
 * write must not forget that write (it would spend the slot twice and drop the entry).
 */
export function inWindow(recent: readonly number[], now: number, rate: SubmitRate): number[] {
  return recent.filter((t) => t > now - rate.windowMs);
}

/** Pending submissions that still occupy the window: their request may land until `until`. */
export function pendingInWindow(pending: readonly Pending[], now: number, rate: SubmitRate): Pending[] {
  return pending.filter((p) => p.until > now - rate.windowMs);
}

/** Submissions not answered yet (and not expired): the key's parallel calls. */
export function unanswered(s: KeyState, now: number): number {
  return s.pending.filter((p) => p.until > now).length;
}

/** New tasks this key may start right now under the rate window. */
export function windowRoom(s: KeyState, now: number, rate: SubmitRate): number {
  const used = inWindow(s.recent, now, rate).length + pendingInWindow(s.pending, now, rate).length;
  return Math.max(0, rate.limit - used);
}

/**
 * How many tasks a key can take now: 0 when blocked, cooling, full, out of window, or when
 * `parallel` createTask calls on it are still unanswered.
 */
export function capacity(
  s: KeyState,
  inFlight: number,
  maxInFlight: number,
  now: number,
  rate: SubmitRate,
  parallel = Number.POSITIVE_INFINITY,
): number {
  if (health(s, now).state !== 'ok') return 0;
  const open = unanswered(s, now);
  return Math.min(windowRoom(s, now, rate), Math.max(0, maxInFlight - inFlight - open), parallel - open);
}

/** Cools a key down; a longer cool-down already in place is kept. */
export function coolDown(s: KeyState, until: number): KeyState {
  return { ...s, coolUntil: Math.max(s.coolUntil ?? 0, until) };
}

/** Blocks a key; `newly` is false when it was blocked already (one alert per block). */
export function block(
  s: KeyState,
  now: number,
  until: number,
  code: number | null,
  reason: string,
): { state: KeyState; newly: boolean } {
  const newly = !(s.blockedUntil !== null && s.blockedUntil > now);
  if (!newly) return { state: s, newly };
  return {
    state: { ...s, blockedUntil: until, blockedCode: code, blockedReason: reason.slice(0, 500) },
    newly,
  };
}

export interface Candidate {
  name: string;
  state: KeyState;
  inFlight: number;
}

/**
 * Keys that can take a task now, best first: the most free capacity, so load spreads over
 * the keys and the emptiest window fills first. Excluded keys (a billing failover must use
 * another key) are skipped.
 */
export function rankKeys(
  keys: readonly Candidate[],
  opts: { now: number; rate: SubmitRate; maxInFlight: number; parallel?: number; exclude?: readonly string[] },
): string[] {
  return keys
    .filter((k) => !(opts.exclude ?? []).includes(k.name))
    .map((k) => ({
      name: k.name,
      cap: capacity(k.state, k.inFlight, opts.maxInFlight, opts.now, opts.rate, opts.parallel),
      inFlight: k.inFlight,
    }))
    .filter((k) => k.cap > 0)
    .sort((a, b) => b.cap - a.cap || a.inFlight - b.inFlight || a.name.localeCompare(b.name))
    .map((k) => k.name);
}

/** True when every key is blocked for billing: admins must act, nothing will get through. */
export function allBlocked(keys: readonly { state: KeyState }[], now: number): boolean {
  return keys.length > 0 && keys.every((k) => health(k.state, now).state === 'blocked');
}

/** Parses `20/10s` (also `20/10000ms`, `100/1m`). */
export function parseSubmitRate(text: string): SubmitRate {
  const m = /^(\d+)\s*\/\s*(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`expected a rate like 20/10s, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000 }[m[3] as 'ms' | 's' | 'm'];
  const limit = Number(m[1]);
  const windowMs = Math.round(Number(m[2]) * unit);
  if (limit < 1 || windowMs < 1) throw new Error(`rate must be positive, got "${text}"`);
  return { limit, windowMs };
}
