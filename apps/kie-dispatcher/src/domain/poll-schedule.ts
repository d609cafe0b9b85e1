/**
 * When to ask KIE about a running task again. Sora 2 takes ~2–5 min for 10 s of video
 * (design §4), so early polls are cheap insurance against a lost callback on a fast task,
 * and later ones back off to 15–30 s; KIE allows ≤ 10 polls/s per key.
 */
export function nextPollDelayMs(ageMs: number): number {
  if (ageMs < 30_000) return 3_000;
  if (ageMs < 2 * 60_000) return 5_000;
  if (ageMs < 5 * 60_000) return 15_000;
  return 30_000;
}

/** A small spread so tasks submitted together do not poll in lock-step. */
export function withJitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.9 + 0.2 * random()));
}

/**
 * A per-key token bucket for recordInfo calls (KIE: ≤ 10 requests/s per key). Pure: the
 * caller keeps the state and passes the time.
 */
export interface Bucket {
  tokens: number;
  at: number;
}

export function takeToken(
  b: Bucket | undefined,
  now: number,
  perSecond: number,
): { ok: boolean; bucket: Bucket } {
  const start = b ?? { tokens: perSecond, at: now };
  const tokens = Math.min(perSecond, start.tokens + ((now - start.at) / 1000) * perSecond);
  if (tokens < 1) return { ok: false, bucket: { tokens, at: now } };
  return { ok: true, bucket: { tokens: tokens - 1, at: now } };
}
