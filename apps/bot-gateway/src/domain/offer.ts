import type { ModelOffer, VideoSpec } from '@neurocards/contracts';

/** One model the bot offers sellers (id, label, price, durations, orientations). */
export type OfferedModel = ModelOffer['models'][number];

/**
 * The video of an order whose seller chose nothing but the count: the model's own default
 * length, and portrait (marketplace cards and Reels-style feeds are vertical) unless the
 * model cannot make it.
 */
export function defaultSpec(m: OfferedModel): VideoSpec {
  const aspectRatio = m.aspectRatios.includes('portrait') ? 'portrait' : m.aspectRatios[0]!;
  return { model: m.id, aspectRatio, duration: m.defaultDuration };
}
