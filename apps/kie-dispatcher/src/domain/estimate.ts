/**
 * Honest waits (issue 10): where a video stands in the fair queue and how long until it
 * arrives, from measured rates. Pure: the dispatcher measures, this decides.
 *
 * - Submissions per second: what the accounts that run the model actually submitted over the
 *   last minute, while there was a queue to submit from (then the rate is the bottleneck's:
 *   KIE's window, in-flight caps, blocks). With no queue the measured rate says nothing about
 *   capacity, so the budget of the accounts that can take work is used (KIE: 20 new tasks
 *   per 10 s per account).
 * - Generation time: the model's median over recent tasks, or a default (KIE: 2–5 minutes).
 */

export interface EstimateInput {
  /** Videos ahead in the fair order (0 = next). */
  position: number;
  /** Submissions per second measured over the recent window (all accounts running the model). */
  measuredPerSecond: number;
  /** True when videos were waiting throughout the window: the measured rate is the capacity. */
  backlogged: boolean;
  /** The submission budget of the accounts that can take work now (0: every key blocked). */
  budgetPerSecond: number;
  /** The model's recent median generation time; null when none finished lately. */
  generationSeconds: number | null;
}

export interface Estimate {
  position: number;
  /** Seconds until the video is submitted to KIE. Null when nothing can be submitted now. */
  queueSeconds: number | null;
  /** Seconds until the video is ready (queue + generation). Null when unknown (all blocked). */
  waitSeconds: number | null;
}

/** KIE: generation takes 2–5 minutes; the middle of it until the model's own times are known. */
export const DEFAULT_GENERATION_SECONDS = 210;

/** The submission rate the queue drains at. */
export function drainRate(i: Pick<EstimateInput, 'measuredPerSecond' | 'backlogged' | 'budgetPerSecond'>): number {
  if (i.budgetPerSecond <= 0) return 0;
  // A backlogged queue drains at what was measured (never above the budget); a rate of
  // zero measured under backlog means something else is the limit: fall back to the budget
  // rather than promise "never".
  if (i.backlogged && i.measuredPerSecond > 0) return Math.min(i.measuredPerSecond, i.budgetPerSecond);
  return i.budgetPerSecond;
}

export function estimateWait(i: EstimateInput): Estimate {
  const position = Math.max(0, Math.floor(i.position));
  const rate = drainRate(i);
  const generation = i.generationSeconds ?? DEFAULT_GENERATION_SECONDS;
  if (rate <= 0) return { position, queueSeconds: null, waitSeconds: null };
  // The video goes out when the `position` videos ahead of it have gone: position / rate.
  const queueSeconds = Math.ceil(position / rate);
  return { position, queueSeconds, waitSeconds: queueSeconds + Math.ceil(generation) };
}
