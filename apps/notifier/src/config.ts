import { z } from 'zod';
import { commonEnv, databaseEnv, duration, httpPort, idList, parseEnv, rate } from '@neurocards/platform';
import { bucketRate } from './domain/token-bucket';

/** `N/period`, e.g. `25/1s`: N messages per period, bursts of up to N. */
const sendRate = (fallback: string) => rate(fallback).transform(bucketRate);

export const schema = z.object({
  ...commonEnv,
  ...databaseEnv,
  /** Telegram bot token. A secret: never logged, never put in a URL handed to anyone but Telegram. */
  BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'expected a Telegram bot token (<id>:<secret>)'),
  /** Bot API root; the sandbox points it at its simulator. */
  TELEGRAM_API_ROOT: z.url().default('https://api.telegram.org'),
  /** Admins who get operational alerts (blocked KIE keys). */
  ADMIN_TG_IDS: idList(),
  /** Shown where the user must reach a person (top-up, billing failures), e.g. `@neurocards_support`. */
  SUPPORT_CONTACT: z.string().trim().default(''),
  /**
   * Telegram: "no more than 30 messages per second" overall. 25/1s keeps a margin for
   * the bot-gateway, which talks through the same token.
   */
  TELEGRAM_GLOBAL_RATE: sendRate('25/1s'),
  /** Telegram: "avoid sending more than one message per second" in a chat. */
  TELEGRAM_CHAT_RATE: sendRate('1/1s'),
  /**
   * The longest a send waits in-process for a rate-limit slot (or a 429's retry_after).
   * Longer waits give the message back to JetStream (nak with that delay) instead of
   * holding it.
   */
  TELEGRAM_MAX_WAIT: duration('10s'),
  /** Per request to the Bot API; an upload of 50 MB needs time. */
  TELEGRAM_TIMEOUT: duration('90s'),
  /** How long the order summary waits for billing's balance before it goes without it. */
  BALANCE_TIMEOUT: duration('2s'),
});

export type Config = z.infer<typeof schema> & { HTTP_PORT: number };

/** Reads and validates the environment; the error names bad variables, never their values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return { ...parseEnv(schema, env), HTTP_PORT: httpPort('notifier', env) };
}
