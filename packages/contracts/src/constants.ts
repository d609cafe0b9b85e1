/**
 * Values two services must agree on, spelled once here instead of as matching strings.
 */

/**
 * `grantedBy` of bot-gateway's welcome bonus on /start. The notifier skips its "credits
 * granted" message for it, because the bot's greeting already announces the bonus.
 */
export const WELCOME_GRANTOR = 'welcome';

/**
 * The "Cancel queued videos" button on the notifier's order status message, handled by
 * bot-gateway (which publishes `kie.queue.cancel.v1`): `qc:<orderId>`, within Telegram's 64
 * bytes of callback data.
 */
export const QUEUE_CANCEL_CALLBACK_PREFIX = 'qc:';

export const queueCancelCallback = (orderId: string): string => `${QUEUE_CANCEL_CALLBACK_PREFIX}${orderId}`;

/** The order id of a "Cancel queued videos" button's data, or null for any other data. */
export function parseQueueCancelCallback(data: string): string | null {
  if (!data.startsWith(QUEUE_CANCEL_CALLBACK_PREFIX)) return null;
  const orderId = data.slice(QUEUE_CANCEL_CALLBACK_PREFIX.length);
  return /^[A-Za-z0-9_-]{8,61}$/.test(orderId) ? orderId : null;
}
