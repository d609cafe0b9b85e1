/**
 * Limits shared by every replica through the `kie_keys` KV bucket, and the pure decisions
 * over them: may this key submit now, which key takes the next task.
 *
 * KIE's limits are per ACCOUNT (docs/design.md §4): one credit balance, 20 new tasks per 10 s and
 * ~100 running tasks, whatever key of the account sends them. So the rate window, the
 * unanswered calls, a 429 cool-down and a 402 block live in one entry per account
 * (`KeyState` below, the account's limiter), and each key of it carries its own flags in
 * `keys`: a 433 cool-down (that key's own cap), a 401 block (that key revoked). Unanswered
 * calls name their key, so the parallel-calls limit stays per key.
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
  /** The key that sends it (per-key parallel calls). */
  key?: string;
}

/** One key's own state inside its account's entry. */
export interface KeyFlags {
  /** Its own usage cap (433) rests it until then. */
  coolUntil: number | null;
  coolReason: string | null;
  /** Revoked (401) until then, or an admin unblocks it. */
  blockedUntil: number | null;
  blockedCode: number | null;
  blockedReason: string | null;
}

/** An account's entry: its limiter, and its keys' own flags by key name. */
export interface AccountState extends KeyState {
  keys: Record<string, KeyFlags>;
}

export const emptyFlags = (): KeyFlags => ({
  coolUntil: null,
  coolReason: null,
  blockedUntil: null,
  blockedCode: null,
  blockedReason: null,
});

export const emptyAccountState = (): AccountState => ({ ...emptyKeyState(), keys: {} });

export const flagsOf = (s: AccountState, key: string): KeyFlags => ({ ...emptyFlags(), ...s.keys[key] });

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

/** Unanswered calls (not expired) sent with one key. */
export function unansweredBy(s: KeyState, key: string, now: number): number {
  return s.pending.filter((p) => p.key === key && p.until > now).length;
}

/** A key's health: the worse of its account's and its own (blocked > cooling > ok). */
export function keyHealth(
  s: AccountState,
  key: string,
  now: number,
): { state: KeyHealth; until: number | null; reason: string | null } {
  const f = flagsOf(s, key);
  const a = health(s, now);
  const own = health({ ...emptyKeyState(), coolUntil: f.coolUntil, blockedUntil: f.blockedUntil }, now);
  if (a.state === 'blocked') return { ...a, reason: s.blockedReason };
  if (own.state === 'blocked') return { ...own, reason: f.blockedReason };
  if (own.state === 'cooling') {
    const until = Math.max(own.until ?? 0, a.state === 'cooling' ? (a.until ?? 0) : 0);
    return { state: 'cooling', until, reason: f.coolReason };
  }
  if (a.state === 'cooling') return { ...a, reason: 'rate limited (429)' };
  return { state: 'ok', until: null, reason: null };
}

/**
 * How many tasks one key can take now: 0 when it or its account is blocked or cooling; else
 * the account's window room and in-flight room, less the key's own unanswered calls under
 * `parallel`.
 */
export function keyCapacity(
  s: AccountState,
  key: string,
  accountInFlight: number,
  maxInFlight: number,
  now: number,
  rate: SubmitRate,
  parallel = Number.POSITIVE_INFINITY,
): number {
  if (keyHealth(s, key, now).state !== 'ok') return 0;
  const open = unanswered(s, now);
  return Math.min(
    windowRoom(s, now, rate),
    Math.max(0, maxInFlight - accountInFlight - open),
    parallel - unansweredBy(s, key, now),
  );
}

/** A key's own cool-down (433); a longer one already in place is kept. */
export function coolKey(s: AccountState, key: string, until: number, reason: string): AccountState {
  const f = flagsOf(s, key);
  if ((f.coolUntil ?? 0) >= until) return s;
  return { ...s, keys: { ...s.keys, [key]: { ...f, coolUntil: until, coolReason: reason.slice(0, 500) } } };
}

/** Blocks one key (401); `newly` is false when it was blocked already. */
export function blockKey(
  s: AccountState,
  key: string,
  now: number,
  until: number,
  code: number | null,
  reason: string,
): { state: AccountState; newly: boolean } {
  const f = flagsOf(s, key);
  const newly = !(f.blockedUntil !== null && f.blockedUntil > now);
  if (!newly) return { state: s, newly };
  return {
    state: {
      ...s,
      keys: {
        ...s.keys,
        [key]: { ...f, blockedUntil: until, blockedCode: code, blockedReason: reason.slice(0, 500) },
      },
    },
    newly,
  };
}

/**
 * Lifts blocks and cool-downs: of one key (`key`), or of the account and every key of it
 * (`key` null). Returns the keys (of `keys`) that were blocked or cooling, and the new state.
 */
export function unblock(
  s: AccountState,
  key: string | null,
  keys: readonly string[],
  now: number,
): { state: AccountState; lifted: string[] } {
  const targets = key === null ? keys : [key];
  const lifted = targets.filter((k) => keyHealth(s, k, now).state !== 'ok');
  const next: AccountState = {
    ...s,
    keys: { ...s.keys },
    ...(key === null ? { coolUntil: null, blockedUntil: null, blockedCode: null, blockedReason: null } : {}),
  };
  for (const k of targets) next.keys[k] = emptyFlags();
  return { state: next, lifted };
}

/** Lifts a 402 block of the account (credits are back); `lifted` is false when there was none. */
export function liftAccountBlock(s: AccountState, now: number): { state: AccountState; lifted: boolean } {
  if (health(s, now).state !== 'blocked') return { state: s, lifted: false };
  return { state: { ...s, blockedUntil: null, blockedCode: null, blockedReason: null }, lifted: true };
}

/** What ranking keys weighs: the limits, the time, and keys a failover must not use. */
export interface RankOptions {
  now: number;
  rate: SubmitRate;
  maxInFlight: number;
  parallel?: number;
  exclude?: readonly string[];
}

export interface AccountCandidate {
  account: string;
  state: AccountState;
  /** The account's tasks in flight (Postgres). */
  inFlight: number;
  /** Its keys, in configuration order. */
  keys: readonly string[];
}

/**
 * Keys that can take a task now, best first: accounts with the most free room first (load
 * spreads over accounts), and inside one the key with the fewest unanswered calls. Excluded
 * keys (a failover must use another) and accounts refused by `allowAccount` (the model is
 * unavailable there) are skipped.
 */
export function rankAccountKeys(
  accounts: readonly AccountCandidate[],
  opts: RankOptions & { allowAccount?: (account: string) => boolean },
): string[] {
  const out: Array<{ key: string; cap: number; acctCap: number; open: number; inFlight: number }> = [];
  for (const a of accounts) {
    if (opts.allowAccount && !opts.allowAccount(a.account)) continue;
    const acctCap = Math.min(windowRoom(a.state, opts.now, opts.rate), opts.maxInFlight - a.inFlight);
    for (const key of a.keys) {
      if ((opts.exclude ?? []).includes(key)) continue;
      const cap = keyCapacity(a.state, key, a.inFlight, opts.maxInFlight, opts.now, opts.rate, opts.parallel);
      if (cap > 0)
        out.push({ key, cap, acctCap, open: unansweredBy(a.state, key, opts.now), inFlight: a.inFlight });
    }
  }
  return out
    .sort(
      (x, y) =>
        y.acctCap - x.acctCap || x.open - y.open || x.inFlight - y.inFlight || x.key.localeCompare(y.key),
    )
    .map((k) => k.key);
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
export function rankKeys(keys: readonly Candidate[], opts: RankOptions): string[] {
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
