/**
 * GCRA (the generic cell rate algorithm): a token bucket kept as one number, the
 * theoretical arrival time `tat` of the next message. A bucket of `count` messages per
 * `periodMs` lets a message go at `t` when `t ≥ tat − tolerance`; taking it moves
 * `tat` to `max(tat, t) + interval`. One number per bucket is what makes the bucket
 * cheap to share through a KV entry with compare-and-set (docs/design.md §6, "Telegram
 * budget"). Pure: every function takes the time, so tests need no clock.
 */

import type { Rate } from './config';

export interface Gcra {
  /** Milliseconds one message costs: `periodMs / count`. */
  intervalMs: number;
  /** How far ahead of now `tat` may run: `(count − 1) × interval` (a burst of `count`). */
  toleranceMs: number;
}

/** `28/1s` → one message every 35.7 ms, in bursts of up to `burst` (by default 28). */
export const gcraOf = (r: Rate, burst = r.count): Gcra => {
  const intervalMs = r.periodMs / r.count;
  return { intervalMs, toleranceMs: (Math.max(1, burst) - 1) * intervalMs };
};

export type GcraTry = { ok: true; tat: number } | { ok: false; waitMs: number };

/**
 * Takes a slot now if one is free while `reserveMs` of the burst stays unused (the share
 * kept for senders that take with priority), else says how long until one is.
 */
export function gcraTry(g: Gcra, tat: number, now: number, reserveMs = 0): GcraTry {
  const tolerance = Math.max(0, g.toleranceMs - reserveMs);
  // The epsilon absorbs floating-point dust (35.714… ms intervals).
  const waitMs = tat - tolerance - now;
  if (waitMs > 1e-6) return { ok: false, waitMs: Math.ceil(waitMs) };
  return { ok: true, tat: Math.max(tat, now) + g.intervalMs };
}

/**
 * Takes the next slot whenever it is, never refusing: `at` is when the message may go
 * (now or later), `tat` the bucket after it. Whoever takes after this sees the slot gone,
 * so a reservation queues ahead of every later try.
 */
export function gcraReserve(g: Gcra, tat: number, now: number): { at: number; tat: number } {
  const at = tat - g.toleranceMs - now > 1e-6 ? Math.ceil(tat - g.toleranceMs) : now;
  return { at, tat: Math.max(tat, now) + g.intervalMs };
}

/** Gives back a slot that was taken but will not be used. */
export const gcraRefund = (g: Gcra, tat: number): number => tat - g.intervalMs;

/** Nothing goes before `until` (Telegram's retry_after); afterwards the bucket restarts empty. */
export const gcraPause = (g: Gcra, tat: number, until: number): number =>
  Math.max(tat, until + g.toleranceMs);
