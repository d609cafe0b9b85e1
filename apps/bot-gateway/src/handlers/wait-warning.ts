import type { Locale, RpcResponse } from '@neurocards/contracts';
import type { QueueClient } from '../adapters/rpc-clients';
import type { T } from '../i18n';

/** QUEUE_WARN_AFTER's default: a wait past 20 minutes is worth a line before confirming. */
export const DEFAULT_QUEUE_WARN_AFTER_MS = 20 * 60_000;

/**
 * The confirmation's line about the queue (honest waits, docs/design.md §5): when the expected
 * wait for the first video exceeds `warnAfterMs`, say how long; when no key can take work,
 * say the wait is unknown. Nothing when the wait is short or the dispatcher did not answer.
 */
export function waitWarning(
  t: T,
  locale: Locale,
  estimate: RpcResponse<'kie.queue.estimate'> | null,
  warnAfterMs: number,
): string | null {
  if (!estimate) return null;
  if (estimate.waitSeconds === null) return t(locale, 'queueWarningUnknown');
  if (estimate.waitSeconds * 1000 <= warnAfterMs) return null;
  return t(locale, 'queueWarning', { minutes: Math.ceil(estimate.waitSeconds / 60) });
}

/** Looks the estimate up for an order about to be confirmed and renders the line. */
export async function confirmWaitLine(
  d: { queue: QueueClient; t: T; warnAfterMs: number },
  locale: Locale,
  order: { seller: number; model: string; count: 1 | 3 | 5 },
): Promise<string | null> {
  return waitWarning(d.t, locale, await d.queue.estimate(order), d.warnAfterMs);
}
