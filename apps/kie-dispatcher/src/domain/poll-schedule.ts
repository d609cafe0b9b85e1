/**
 * When to ask KIE about a running task again. Sora 2 takes ~2–5 min for 10 s of video
 * (docs/design.md §4), so early polls are cheap insurance against a lost callback on a fast task,
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
 * A per-key token bucket for recordInfo calls (KIE: ≤ 10 requests/s per key, for all
 * replicas together: the bucket lives in KV). Pure: the caller keeps the state and passes
 * the time. Holds at most one second's worth of tokens.
 */
export interface Bucket {
  tokens: number;
  at: number;
}

/** Takes up to `want` tokens; `granted` may be fewer (0 when the bucket is empty). */
export function takeTokens(
  b: Bucket | null,
  now: number,
  perSecond: number,
  want: number,
): { granted: number; bucket: Bucket } {
  const start = b ?? { tokens: perSecond, at: now };
  // A replica whose clock is behind the last write adds nothing (never negative).
  const elapsed = Math.max(0, now - start.at);
  const tokens = Math.min(perSecond, start.tokens + (elapsed / 1000) * perSecond);
  const granted = Math.max(0, Math.min(Math.floor(tokens), want));
  return { granted, bucket: { tokens: tokens - granted, at: Math.max(now, start.at) } };
}
