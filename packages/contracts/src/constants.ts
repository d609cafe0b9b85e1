/**
 * Values two services must agree on, spelled once here instead of as matching strings.
 */

/**
 * `grantedBy` of bot-gateway's welcome bonus on /start. The notifier skips its "credits
 * granted" message for it, because the bot's greeting already announces the bonus.
 */
export const WELCOME_GRANTOR = 'welcome';

/**
 * Buttons under a delivered video and the order summary (sent by the notifier, answered by
 * bot-gateway): `more` orders the same photo with the same choices again (straight to the
 * confirmation), `template` starts a draft with the same photo at the template step.
 * Callback data `<action>:<first 16 characters of the orderId>` (Telegram caps it at 64 bytes).
 */
export type OrderButton = 'more' | 'template';
export const ORDER_BUTTON_CODES = { more: 'again', template: 'retpl' } as const satisfies Record<OrderButton, string>;
export const orderButtonKey = (orderId: string) => orderId.slice(0, 16);
export const orderButtonData = (button: OrderButton, orderId: string) =>
  `${ORDER_BUTTON_CODES[button]}:${orderButtonKey(orderId)}`;

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
