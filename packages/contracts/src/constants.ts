/**
 * Values two services must agree on, spelled once here instead of as matching strings.
 */

/**
 * `grantedBy` of bot-gateway's welcome bonus on /start. The notifier skips its "credits
 * granted" message for it, because the bot's greeting already announces the bonus.
 */
export const WELCOME_GRANTOR = 'welcome';
